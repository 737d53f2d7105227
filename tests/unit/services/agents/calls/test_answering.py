"""Who answered: a person's short "Hello?", an answering machine's long greeting and its beep,
a call screener's question, and silence, from real speech (espeak-ng) through Silero."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ringfence.media.speech import speak
from ringfence.services.agents.calls.answering import (
    Answered,
    GreetingTimer,
    detect,
    greeting_over,
    is_tone,
)
from ringfence.speech.vad import WINDOW_SECONDS, VoiceActivity
from tests.support.rtp import tone

FRAME = 320  # bytes of 20 ms


def quiet(seconds: float) -> bytes:
    return bytes(int(8000 * seconds) * 2)


async def frames(pcm: bytes) -> AsyncIterator[bytes]:
    pcm += bytes(-len(pcm) % FRAME)
    for i in range(0, len(pcm), FRAME):
        yield pcm[i : i + FRAME]


class Words:
    """A transcriber that returns what the test says was spoken (Whisper is tested elsewhere;
    here the decision from the words is)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    async def transcribe(self, pcm: bytes) -> str:
        self.calls += 1
        return self.text


async def test_a_person_says_hello_and_waits() -> None:
    hello = await speak("Hello?")
    words = Words("Hello?")
    found = await detect(frames(quiet(0.4) + hello + quiet(3)), VoiceActivity(), words)
    assert found.answered is Answered.PERSON
    assert found.seconds < 0.4 + len(hello) / 16000 + 1.2  # decided within the pause
    assert words.calls == 0  # a person's greeting needs no transcription


async def test_an_answering_machine_talks_on() -> None:
    greeting = await speak(
        "Hi, you have reached Sam. I can't take your call right now, "
        "please leave a message after the tone."
    )
    said = "Hi, you have reached Sam. I can't take your call right now, please leave a message."
    found = await detect(frames(greeting + tone(1000, 0.5) + quiet(2)), VoiceActivity(),
                         Words(said))  # fmt: skip
    assert found.answered is Answered.MACHINE
    assert found.seconds < 4.0  # decided before the greeting ends


async def test_a_call_screener_is_answered_like_a_person() -> None:
    ask = await speak(
        "Hi, the person you are calling is using a screening service. "
        "Go ahead and say your name and why you are calling."
    )
    found = await detect(
        frames(ask + quiet(2)),
        VoiceActivity(),
        Words("the person you're calling is using a screening service"),
    )
    assert found.answered is Answered.SCREENER and found.answered.is_person


async def test_silence_is_a_person_waiting() -> None:
    found = await detect(frames(quiet(4)), VoiceActivity(), Words(""))
    assert found.answered is Answered.SILENT and found.answered.is_person
    assert found.seconds == pytest.approx(2.5, abs=0.1)


def test_the_timer_follows_the_classic_thresholds() -> None:
    timer = GreetingTimer()
    windows = int(1.0 / WINDOW_SECONDS)
    verdicts = [timer.window(0.9) for _ in range(windows)]  # one second of speech
    assert set(verdicts) == {None}
    while (verdict := timer.window(0.0)) is None:
        pass
    assert verdict == "person" and timer.pause >= 0.8


async def test_the_beep_ends_the_greeting() -> None:
    assert is_tone(tone(1000, 0.02)) and is_tone(tone(440, 0.02))
    assert not is_tone(quiet(0.02)) and not is_tone(tone(1000, 0.02, level=100))
    speech = await speak("Please leave a message after the tone.")
    assert sum(is_tone(speech[i : i + FRAME]) for i in range(0, len(speech), FRAME)) < 8
    assert await greeting_over(frames(speech + tone(1000, 0.5) + quiet(0.2))) == "beep"
    assert await greeting_over(frames(speech + quiet(2))) == "silence"
    assert await greeting_over(frames(speech)) == "ended"
