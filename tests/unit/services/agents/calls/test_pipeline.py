"""The voice pipeline's turn-taking with fakes at its edges: frames in, transcript out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from ringfence.media.frames import FRAME_BYTES
from ringfence.services.agents.calls.pipeline import VoiceSession
from ringfence.services.agents.dialogue.conversation import Step
from ringfence.testing.clock import FakeClock

SPEECH = b"\x01" * FRAME_BYTES
QUIET = b"\x00" * FRAME_BYTES
FRAMES_A_SECOND = 50


class Line:
    def __init__(self) -> None:
        self.queued_frames = 0

    def audio(self) -> AsyncIterator[bytes]:
        raise NotImplementedError  # the test feeds frames itself

    def play(self, pcm: bytes) -> None:
        pass

    def take_queued(self) -> bytes:
        return b""

    async def played(self) -> None:
        pass

    async def hangup(self) -> None:
        pass


class Voice:
    """Voice activity: a frame of SPEECH is speech."""

    def scores(self, pcm: bytes) -> list[float]:
        return [1.0 if pcm[:1] == b"\x01" else 0.0]


class SlowTranscriber:
    """Hears the question only when the test lets it (a loaded machine)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def transcribe(self, pcm: bytes) -> str:
        await self.release.wait()
        return "What are your opening hours?"


class Speaker:
    async def synthesize(self, text: str) -> bytes:
        return bytes(320)


class Conversation:
    async def reply(self, said: str, tools: object) -> AsyncIterator[str | Step]:
        yield "We open at nine."
        yield Step("We open at nine.")

    def no_input(self, times: int) -> Step:
        return Step("Are you still there?")


def feed(session: VoiceSession, frame: bytes, seconds: float) -> None:
    for _ in range(round(seconds * FRAMES_A_SECOND)):
        session._frame(frame)


async def settle(session: VoiceSession) -> None:
    while session._tasks:
        await asyncio.gather(*list(session._tasks))


async def test_a_caller_waiting_for_a_slow_answer_is_not_asked_if_they_are_still_there() -> None:
    transcriber = SlowTranscriber()
    session = VoiceSession(
        line=Line(),
        conversation=Conversation(),  # type: ignore[arg-type]
        transcriber=transcriber,  # type: ignore[arg-type]
        speaker=Speaker(),  # type: ignore[arg-type]
        clock=FakeClock(),
        vad=Voice(),  # type: ignore[arg-type]
    )
    feed(session, SPEECH, 1.5)
    # The turn ends on the pause; its transcription takes longer than no_input_seconds.
    feed(session, QUIET, session.no_input_seconds + 3)
    assert session._no_input == 0
    transcriber.release.set()
    await settle(session)
    said = [(line.speaker, line.text) for line in session.transcript]
    assert said == [("caller", "What are your opening hours?"), ("agent", "We open at nine.")]
    # Once answered, silence is silence again.
    feed(session, QUIET, session.no_input_seconds + 0.5)
    assert session._no_input == 1
    await settle(session)
