"""Offline text-to-speech (hibari) at the call's rate, checked by the voice-activity detector."""

from __future__ import annotations

import numpy as np

from ringfence.speech.tts import HibariSpeaker
from tests.support.speech import SECOND, turns


async def test_hibari_speaks_at_the_call_rate() -> None:
    pcm = await HibariSpeaker().synthesize("We are open from nine to five.")
    seconds = len(pcm) / SECOND
    assert 1.0 < seconds < 5.0 and len(pcm) % 2 == 0
    level = np.sqrt(np.mean(np.frombuffer(pcm, dtype="<i2").astype(np.float64) ** 2))
    assert level > 500
    assert [e.kind for e in turns(bytes(SECOND) + pcm + bytes(SECOND))] == ["started", "ended"]
    assert await HibariSpeaker().synthesize("  ") == b""
