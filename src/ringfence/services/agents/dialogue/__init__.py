"""What an agent understands and says: the single dialogue step, offline by retrieval over the
knowledge base (``offline``) or on a hosted language model (``hosted``), and the conversation
above it across a call's turns (``conversation``). No telephony and no storage here.
"""

from __future__ import annotations

from ringfence.services.agents.dialogue.conversation import (
    Conversation,
    Responder,
    Step,
    is_backchannel,
)
from ringfence.services.agents.dialogue.hosted import HostedDialogue
from ringfence.services.agents.dialogue.offline import ACTIONS, KINDS, Dialogue, Turn

__all__ = [
    "ACTIONS",
    "KINDS",
    "Conversation",
    "Dialogue",
    "HostedDialogue",
    "Responder",
    "Step",
    "Turn",
    "is_backchannel",
]
