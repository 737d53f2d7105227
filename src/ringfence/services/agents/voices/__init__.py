"""Custom voices, only with the speaker's signed consent: the request, the signing, the sample,
the voice made by the hosted provider, and its erasure when consent is withdrawn (``service``).
The built-in voices an agent may choose are the pipeline's (``calls.components``).
"""

from __future__ import annotations

from ringfence.services.agents.voices.service import (
    MAX_SAMPLE,
    PREFIX,
    Voices,
    erase_voices,
)

__all__ = ["MAX_SAMPLE", "PREFIX", "Voices", "erase_voices"]
