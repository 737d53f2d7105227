"""Voice activity and turn-taking on 8 kHz call audio, with the real Silero model."""

from __future__ import annotations

import numpy as np

from ringfence.media.speech import speak
from ringfence.speech.vad import give_back_detector, take_detector
from tests.support.speech import SECOND, turns


async def test_a_turn_starts_with_the_speech_and_ends_after_it() -> None:
    said = await speak("What are your opening hours on Saturday?")
    spoken = len(said) / SECOND
    events = turns(bytes(SECOND) + said + bytes(2 * SECOND))
    assert [e.kind for e in events] == ["started", "ended"]
    assert 0.9 <= events[0].at <= 1.4
    assert spoken - 0.6 <= events[1].at - 1.0 <= spoken + 0.2


def test_silence_and_low_noise_are_not_speech() -> None:
    noise = (np.random.default_rng(1).normal(0, 120, 3 * 8000)).astype("<i2").tobytes()
    assert turns(bytes(3 * SECOND)) == []
    assert turns(noise) == []


def test_a_finished_calls_detector_serves_the_next_reset() -> None:
    first = take_detector()
    loud = (np.sin(np.arange(8000) / 8000 * 2 * np.pi * 300) * 9000).astype("<i2").tobytes()
    first.scores(loud[:300])  # leaves a partial window pending
    give_back_detector(first)
    again = take_detector()
    assert again is first and again.scores(b"\0\0" * 255) == []  # nothing carried over
    give_back_detector(again)
