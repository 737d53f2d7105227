"""The offline speech components with their real models: voice activity and turn-taking on
8 kHz audio, text-to-speech at the call's rate, and the pinned model files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ringfence.errors import ConfigurationError
from ringfence.media.speech import speak
from ringfence.speech.pinned import verified
from ringfence.speech.tts import HibariSpeaker
from ringfence.speech.vad import TurnDetector, TurnEvent, VoiceActivity

SECOND = 16000  # bytes of 8 kHz 16-bit audio


def _turns(audio: bytes) -> list[TurnEvent]:
    vad, turns = VoiceActivity(), TurnDetector()
    events = []
    for start in range(0, len(audio), 320):  # the call's 20 ms frames
        events += turns.feed(vad.scores(audio[start : start + 320]))
    return events


async def test_a_turn_starts_with_the_speech_and_ends_after_it() -> None:
    said = await speak("What are your opening hours on Saturday?")
    spoken = len(said) / SECOND
    events = _turns(bytes(SECOND) + said + bytes(2 * SECOND))
    assert [e.kind for e in events] == ["started", "ended"]
    assert 0.9 <= events[0].at <= 1.4
    assert spoken - 0.6 <= events[1].at - 1.0 <= spoken + 0.2


def test_silence_and_low_noise_are_not_speech() -> None:
    noise = (np.random.default_rng(1).normal(0, 120, 3 * 8000)).astype("<i2").tobytes()
    assert _turns(bytes(3 * SECOND)) == []
    assert _turns(noise) == []


async def test_hibari_speaks_at_the_call_rate() -> None:
    pcm = await HibariSpeaker().synthesize("We are open from nine to five.")
    seconds = len(pcm) / SECOND
    assert 1.0 < seconds < 5.0 and len(pcm) % 2 == 0
    level = np.sqrt(np.mean(np.frombuffer(pcm, dtype="<i2").astype(np.float64) ** 2))
    assert level > 500
    assert [e.kind for e in _turns(bytes(SECOND) + pcm + bytes(SECOND))] == ["started", "ended"]
    assert await HibariSpeaker().synthesize("  ") == b""


def test_a_model_file_that_differs_from_its_pin_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "hibari"
    (folder / "assets").mkdir(parents=True)
    (folder / "assets" / "hibari.onnx").write_bytes(b"not the model")
    with pytest.raises(ConfigurationError, match="does not match its pinned SHA-256"):
        verified(str(folder), "assets/hibari.onnx")
    with pytest.raises(ConfigurationError, match="no pinned SHA-256"):
        verified(str(folder), "assets/other.onnx")


def test_a_finished_calls_detector_serves_the_next_reset() -> None:
    from ringfence.speech.vad import give_back_detector, take_detector

    first = take_detector()
    loud = (np.sin(np.arange(8000) / 8000 * 2 * np.pi * 300) * 9000).astype("<i2").tobytes()
    first.scores(loud[:300])  # leaves a partial window pending
    give_back_detector(first)
    again = take_detector()
    assert again is first and again.scores(b"\0\0" * 255) == []  # nothing carried over
    give_back_detector(again)
