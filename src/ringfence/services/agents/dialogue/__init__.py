"""What an agent understands and says: the single dialogue step offline (``offline``: rules,
an intent classifier and retrieval over the knowledge base), the language model on an
OpenAI-compatible chat endpoint (``model`` over ``chat``), and the conversation above them
across a call's turns (``conversation``). No telephony and no storage here.
"""

from __future__ import annotations

from ringfence.services.agents.dialogue.chat import ChatEndpoint, ChatFailed, ToolCall
from ringfence.services.agents.dialogue.conversation import (
    Conversation,
    Responder,
    Step,
    Toolbox,
    is_backchannel,
)
from ringfence.services.agents.dialogue.model import Decision, ModelDialogue
from ringfence.services.agents.dialogue.offline import ACTIONS, KINDS, Dialogue, Turn

__all__ = [
    "ACTIONS",
    "KINDS",
    "ChatEndpoint",
    "ChatFailed",
    "Conversation",
    "Decision",
    "Dialogue",
    "ModelDialogue",
    "Responder",
    "Step",
    "ToolCall",
    "Toolbox",
    "Turn",
    "is_backchannel",
]
