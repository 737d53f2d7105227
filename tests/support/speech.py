"""Voice activity over a call's 20 ms frames, as the live pipeline feeds it."""

from __future__ import annotations

from ringfence.speech.vad import TurnDetector, TurnEvent, VoiceActivity

SECOND = 16000  # bytes of 8 kHz 16-bit audio


def turns(audio: bytes) -> list[TurnEvent]:
    vad, detector = VoiceActivity(), TurnDetector()
    events = []
    for start in range(0, len(audio), 320):
        events += detector.feed(vad.scores(audio[start : start + 320]))
    return events
