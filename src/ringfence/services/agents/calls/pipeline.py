"""The live voice pipeline on a call's 20 ms frames: voice activity, end of turn, speech-to-text,
the conversation step, and text-to-speech played back sentence by sentence as the step decides
them (a language model's first sentence is voiced while it writes the next), with barge-in.

Turn-taking. Silero scores every 32 ms window. The caller's turn starts after two windows over
``START``; once they pause (``SPECULATE`` windows under ``END``, about 0.2 s), the utterance so
far is transcribed at once, while they may still go on. If the words read as finished (Whisper
ends them with . ? or !), the turn ends there; otherwise it ends after ``HANGOVER`` (0.6 s) of
silence. A fixed silence hangover alone would cost its whole length before recognition starts;
this way recognition overlaps the pause. New speech throws the early result away.

Barge-in. When the caller starts speaking while the agent talks, the agent's queued audio is
taken back at once (two windows, about 70 ms after the speech starts). If what the caller said
turns out to be a backchannel ("yeah", "mm-hm") or noise, the taken audio plays on from where it
stopped; anything else is a new turn and the rest of the agent's reply is dropped.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from ringfence.clock import Clock
from ringfence.logging import get_logger
from ringfence.media.frames import FRAME_BYTES, silence
from ringfence.redact import redact_sensitive
from ringfence.services.agents.dialogue.conversation import (
    Conversation,
    Step,
    Toolbox,
    is_backchannel,
)
from ringfence.services.agents.dialogue.sentences import split
from ringfence.speech.stt import Transcriber
from ringfence.speech.tts import Speaker
from ringfence.speech.vad import (
    WINDOW_SECONDS,
    VoiceActivity,
    give_back_detector,
    take_detector,
)

log = get_logger(__name__)

FRAME_SECONDS = 0.02
START, END = 0.5, 0.35
START_WINDOWS = 2
SPECULATE = 6  # windows of silence (~0.19 s) before the utterance is transcribed early
HANGOVER = 19  # windows of silence (~0.6 s) that end a turn whatever the words
MAX_UTTERANCE = 20.0  # seconds: a turn longer than this is cut and answered
BACKCHANNEL_MAX = 1.2  # seconds: longer speech interrupts even if its words are "yeah"
GAP = 0.1  # seconds without a frame that count as silence
PREROLL_FRAMES = 15  # 0.3 s of audio before the detected start, so first syllables are kept
FINISHED = re.compile(r"[.?!]\s*$")


class Line(Protocol):
    """What the pipeline needs of a call (a SIP ``Call``, or a browser's WebRTC leg)."""

    def audio(self) -> AsyncIterator[bytes]: ...
    def play(self, pcm: bytes) -> None: ...
    def take_queued(self) -> bytes: ...
    @property
    def queued_frames(self) -> int: ...
    async def played(self) -> None: ...
    async def hangup(self) -> None: ...


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str  # caller | agent
    start: float  # seconds from the start of the call
    end: float
    text: str  # redacted

    def to_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "start": round(self.start, 2),
                "end": round(self.end, 2), "text": self.text}  # fmt: skip


@dataclass(frozen=True)
class Latency:
    """One turn: end of the caller's speech to the first reply audio queued, and its stages."""

    total: float
    stt: float  # from the end of speech until the words were known
    dialogue: float  # until the first sentence was decided
    tts: float  # synthesis of the first sentence


@dataclass
class _Utterance:
    started: float  # call time
    audio: bytearray
    voiced: int = 0
    silent: int = 0
    speech_end: float = 0.0  # the session clock's monotonic time of the last voiced window
    early: asyncio.Task[str] | None = None
    early_voiced: int = 0  # voiced windows the early transcription heard


@dataclass
class VoiceSession:
    line: Line
    conversation: Conversation
    transcriber: Transcriber
    speaker: Speaker
    # Times turns and measures latencies (durations, on its monotonic clock).
    clock: Clock
    no_input_seconds: float = 7.0
    # Puts the caller through: the other party's line once answered, None if nobody answered.
    transfer: Callable[[], Awaitable[Line | None]] | None = None
    # The caller asked not to be called again: done at once, before the goodbye ends.
    opt_out: Callable[[], Awaitable[None]] | None = None
    # The business's tools (``hooks.calling``), for the model and the offline dialogue.
    tools: Toolbox | None = None
    transcript: list[TranscriptLine] = field(default_factory=list)
    latencies: list[Latency] = field(default_factory=list)
    barge_ins: list[float] = field(default_factory=list)  # call times the agent was stopped
    # Loaded off the event loop when the call starts (about 50 ms: the media clock of every
    # call in the process would stall for it).
    vad: VoiceActivity | None = None
    _elapsed: float = 0.0  # seconds of the call heard so far
    _above: int = 0
    _preroll: deque[bytes] = field(default_factory=lambda: deque(maxlen=PREROLL_FRAMES))
    _utterance: _Utterance | None = None
    _paused: bytearray | None = None  # agent audio taken back by a barge-in
    _thinking: int = 0  # the caller's turns being transcribed and answered now
    _reply: asyncio.Task[None] | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _idle_since: float | None = None
    _no_input: int = 0
    _done: bool = False
    _forward: Line | None = None  # the person the call was put through to

    async def run(self) -> None:
        took = self.vad is None
        if self.vad is None:
            self.vad = await asyncio.to_thread(take_detector)
        self._reply = self._spawn(self._say(_said(Step(self.conversation.opening()))))
        try:
            frames: asyncio.Queue[bytes | None] = asyncio.Queue()
            self._spawn(self._read(frames))
            while not self._done:
                try:
                    got = await asyncio.wait_for(frames.get(), GAP)
                except TimeoutError:
                    got = b""
                if got is None:
                    break
                frame = got
                if not frame:
                    # No packets: the phone stopped sending while quiet (DTX); time still
                    # passes, and a turn must still end on it.
                    frame = silence() * round(GAP / FRAME_SECONDS)
                if self._forward is not None:
                    self._forward.play(frame)
                    continue
                self._frame(frame)
        finally:
            if took:
                give_back_detector(self.vad)
            if self._forward is not None:
                await self._forward.hangup()
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def say_now(self, step: Step) -> None:
        """Stop whatever the agent is saying and say ``step`` (a key the caller pressed)."""
        self.line.take_queued()
        self._paused = None
        if self._reply is not None and not self._reply.done():
            self._reply.cancel()
        self._reply = self._spawn(self._say(_said(step)))

    # -- listening ----------------------------------------------------------------------------

    async def _read(self, frames: asyncio.Queue[bytes | None]) -> None:
        async for frame in self.line.audio():
            frames.put_nowait(frame)
        frames.put_nowait(None)

    def _frame(self, frame: bytes) -> None:
        self._elapsed += len(frame) / FRAME_BYTES * FRAME_SECONDS
        self._preroll.append(frame)
        if self._utterance is not None:
            self._utterance.audio += frame
        assert self.vad is not None
        for score in self.vad.scores(frame):
            self._window(score)
        self._check_no_input()

    def _window(self, score: float) -> None:
        said = self._utterance
        if said is None:
            self._above = self._above + 1 if score >= START else 0
            if self._above >= START_WINDOWS:
                self._speech_started()
            return
        if score >= END:
            said.voiced += 1
            said.silent = 0
            said.speech_end = self.clock.monotonic()
            return
        said.silent += 1
        idle = said.early is None or (said.early.done() and said.early_voiced != said.voiced)
        if said.silent >= SPECULATE and idle:
            # One early transcription at a time: on 2 cores a queue of them would only delay
            # the one that matters, the last.
            said.early_voiced = said.voiced
            early: asyncio.Task[str] = self._spawn(self.transcriber.transcribe(bytes(said.audio)))
            early.add_done_callback(partial(self._early_done, said))
            said.early = early
        long = len(said.audio) / FRAME_BYTES * FRAME_SECONDS >= MAX_UTTERANCE
        if said.silent >= HANGOVER or long:
            self._turn_ended(said)

    def _speech_started(self) -> None:
        self._above = 0
        self._idle_since = None
        now = self.clock.monotonic()
        audio = bytearray(b"".join(self._preroll))
        started = self._elapsed - len(audio) / FRAME_BYTES * FRAME_SECONDS
        self._utterance = _Utterance(started=max(0.0, started), audio=audio, speech_end=now)
        if self.line.queued_frames or self._speaking():
            self._paused = bytearray(self.line.take_queued())
            self.barge_ins.append(self._elapsed)

    def _early_done(self, said: _Utterance, task: asyncio.Task[str]) -> None:
        """An early transcription finished: end the turn now if its words read as finished and
        the caller has said nothing since."""
        if self._utterance is not said or task.cancelled() or task.exception() is not None:
            return
        if said.silent < SPECULATE or not said.voiced:
            return
        text = task.result()
        quick = self._paused is not None and said.voiced * WINDOW_SECONDS <= BACKCHANNEL_MAX
        if FINISHED.search(text) or (quick and is_backchannel(text)):
            self._turn_ended(said)

    def _turn_ended(self, said: _Utterance) -> None:
        self._utterance = None
        early = said.early
        if early is not None and said.voiced != said.early_voiced:
            early = None  # speech came after the early transcription: transcribe it all
        # Until the agent has its answer the caller is waiting, not silent (no "are you still
        # there?"): on a loaded machine the answer can take longer than ``no_input_seconds``.
        self._thinking += 1
        self._spawn(self._understand(said, early)).add_done_callback(self._thought)

    def _thought(self, _: asyncio.Task[None]) -> None:
        self._thinking -= 1

    async def _understand(self, said: _Utterance, early: asyncio.Task[str] | None) -> None:
        text = (
            await early
            if early is not None
            else await self.transcriber.transcribe(bytes(said.audio))
        )
        heard = self.clock.monotonic()
        seconds = said.voiced * WINDOW_SECONDS
        end = said.started + len(said.audio) / FRAME_BYTES * FRAME_SECONDS
        text = redact_sensitive(text.strip())
        if self._paused is not None and seconds <= BACKCHANNEL_MAX and is_backchannel(text):
            paused, self._paused = bytes(self._paused), None
            self.line.play(paused)  # the agent goes on where it was stopped
            if text:
                self.transcript.append(TranscriptLine("caller", said.started, end, text))
            return
        if not text:
            return
        self._paused = None
        if self._reply is not None and not self._reply.done():
            self._reply.cancel()
        self._no_input = 0
        self.transcript.append(TranscriptLine("caller", said.started, end, text))
        timing = (said.speech_end, heard, self.clock.monotonic())
        self._reply = self._spawn(self._say(self.conversation.reply(text, self.tools), timing))

    # -- speaking -----------------------------------------------------------------------------

    def _speaking(self) -> bool:
        return self._reply is not None and not self._reply.done()

    async def _say(
        self,
        parts: AsyncGenerator[str | Step, None],
        timing: tuple[float, float, float] | None = None,
    ) -> None:
        """Say each sentence as it comes (synthesised, then queued on the line), then do what
        the step that ends ``parts`` says to do after. ``timing``: when the caller's speech
        ended, when its words were known, and when the step was asked for."""
        start = self._elapsed + self.line.queued_frames * FRAME_SECONDS
        seconds = 0.0
        step = Step("")
        async with aclosing(parts):  # a reply cut short by the caller stops its model at once
            async for part in parts:
                if isinstance(part, Step):
                    step = part
                    continue
                began = self.clock.monotonic()
                pcm = await self.speaker.synthesize(part)
                if timing is not None:
                    speech_end, heard, asked = timing
                    now = self.clock.monotonic()
                    self.latencies.append(
                        Latency(now - speech_end, heard - speech_end, began - asked, now - began)
                    )
                    timing = None
                seconds += len(pcm) / 2 / 8000
                if self._paused is not None:
                    self._paused += pcm  # the caller is speaking: hold it until we know why
                else:
                    self.line.play(pcm)
        self.transcript.append(TranscriptLine("agent", start, start + seconds, step.say))
        if step.then == "transfer":
            await self.line.played()
            other = await self.transfer() if self.transfer is not None else None
            if other is None:
                self._reply = self._spawn(self._say(_said(self.conversation.transfer_failed())))
                return
            self._forward = other
            self._spawn(self._relay(other))
        elif step.then in ("hangup", "opt_out"):
            if step.then == "opt_out" and self.opt_out is not None:
                await self.opt_out()
            await self.line.played()
            self._done = True
            await self.line.hangup()

    async def _relay(self, other: Line) -> None:
        """The other party's audio to the caller, until they hang up; then the call ends."""
        async for frame in other.audio():
            self.line.play(frame)
        self._done = True
        await self.line.hangup()

    def _check_no_input(self) -> None:
        busy = self._thinking or self._speaking() or self.line.queued_frames
        if self._utterance is not None or busy:
            self._idle_since = None
            return
        if self._idle_since is None:
            self._idle_since = self._elapsed
        elif self._elapsed - self._idle_since >= self.no_input_seconds:
            self._idle_since = None
            self._no_input += 1
            self._reply = self._spawn(self._say(_said(self.conversation.no_input(self._no_input))))

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("agent_step_failed", error=type(task.exception()).__name__)


async def _said(step: Step) -> AsyncGenerator[str | Step, None]:
    """A step decided at once (the opening, "are you still there?"), as a reply's parts."""
    for sentence in split(step.say):
        yield sentence
    yield step
