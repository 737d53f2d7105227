"""A call as the services see it: events, audio frames in and out, DTMF, hangup.

A ``Call`` is the same object for both directions. Its events (trying, ringing, answered, dtmf,
ended) are read with ``async for event in call.events()``; received audio arrives as 20 ms PCM
frames from ``call.audio()``; ``play()`` queues PCM that the shared media clock sends a frame per
tick (silence when the queue is empty, so the stream never stalls).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from ringfence.clock import Clock, SystemClock
from ringfence.media.frames import frames, silence
from ringfence.redact import mask_number
from ringfence.telephony._sip import Media
from ringfence.telephony.recording import Recorder

AUDIO_QUEUE_FRAMES = 250  # 5 s of received audio kept for a slow reader, oldest dropped first


class CallState(enum.Enum):
    DIALLING = "dialling"
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


class EndReason(enum.Enum):
    COMPLETED = "completed"  # answered, then hung up by either side
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"  # any other final failure response
    CANCELLED = "cancelled"  # the caller gave up before an answer
    MAX_DURATION = "max_duration"
    SESSION_EXPIRED = "session_expired"  # the peer stopped refreshing the session (RFC 4028)
    FAILED = "failed"  # a local error before an answer (bad SDP)
    MEDIA_FAILED = "media_failed"  # answered (200 OK), then no media on our side: hung up


# RFC 3398 (SIP to ISUP) mapping of the common statuses to Q.850 cause values.
Q850 = {
    486: 17,  # user busy
    600: 17,
    480: 18,  # no user responding / temporarily unavailable
    408: 18,
    487: 16,  # normal clearing after CANCEL (request terminated)
    404: 1,  # unallocated number
    484: 28,  # invalid number format
    403: 21,  # call rejected
    603: 21,
    503: 41,  # temporary failure
    500: 41,
    502: 38,
    504: 102,
}


class CallControl(Protocol):
    """What a call asks of the engine that owns it."""

    async def answer(self, call: Call, *, max_duration: float | None = None) -> None: ...

    async def hangup(self, call: Call, *, reason: EndReason = ...) -> None: ...


@runtime_checkable
class HoldControl(Protocol):
    """An engine that can also put its calls on hold (a SIP engine; not a call with no network
    in it)."""

    async def hold(self, call: Call, on: bool) -> None: ...


@dataclass(frozen=True)
class CallEvent:
    kind: (
        str  # dialling | trying | ringing | early_media | answered | dtmf | hold | resumed | ended
    )
    at: dt.datetime
    status: int | None = None
    reason: str = ""
    digit: str | None = None
    by: str | None = None  # local | remote, for ended, hold and resumed
    q850: int | None = None
    detail: str = ""  # for ended: why, in words (never a number or content)


@dataclass
class Call:
    id: str
    direction: str  # outbound | inbound
    remote: str  # E.164 of the other party (or the SIP user part when not a number)
    local: str
    service: str
    started_at: dt.datetime
    state: CallState = CallState.DIALLING
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    status: int | None = None
    end_reason: EndReason | None = None
    ended_by: str | None = None
    carrier: str | None = None
    sip_call_id: str = ""
    on_hold: bool = False  # the other party put the call on hold (re-INVITE sendonly/inactive)
    held: bool = False  # we put the call on hold (our re-INVITE sendonly/inactive)
    recorder: Recorder | None = field(default=None, repr=False)
    recording: Path | None = None  # the encrypted file, once the call has ended
    store_recording: bool = True  # False: the service keeps ``recorder``'s audio itself
    media: Media | None = field(default=None, repr=False)
    control: CallControl | None = field(default=None, repr=False)
    clock: Clock = field(default_factory=SystemClock, repr=False)  # the engine's
    _events: asyncio.Queue[CallEvent] = field(default_factory=asyncio.Queue, repr=False)
    _audio: asyncio.Queue[bytes | None] = field(
        default_factory=lambda: asyncio.Queue(AUDIO_QUEUE_FRAMES), repr=False
    )
    _outgoing: deque[bytes] = field(default_factory=deque, repr=False)
    _drained: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _answered: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _ended: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def __post_init__(self) -> None:
        self._drained.set()

    @property
    def masked_remote(self) -> str:
        return mask_number(self.remote) if any(c.isdigit() for c in self.remote) else "***"

    @property
    def duration(self) -> float:
        if self.answered_at is None:
            return 0.0
        end = self.ended_at or self.clock.now()
        return (end - self.answered_at).total_seconds()

    # -- events --------------------------------------------------------------------------------

    def emit(self, event: CallEvent) -> None:
        self._events.put_nowait(event)
        if event.kind == "answered":
            self._answered.set()
        if event.kind == "ended":
            self._ended.set()
            self._audio_put(None)
            self._drained.set()

    async def events(self) -> AsyncIterator[CallEvent]:
        """Every event until (and including) ``ended``."""
        while True:
            event = await self._events.get()
            yield event
            if event.kind == "ended":
                return

    async def wait_answered(self) -> bool:
        """True once answered; False if the call ended first."""
        answered = asyncio.ensure_future(self._answered.wait())
        ended = asyncio.ensure_future(self._ended.wait())
        try:
            await asyncio.wait({answered, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            answered.cancel()
            ended.cancel()
        return self._answered.is_set()

    async def wait_ended(self) -> None:
        await self._ended.wait()

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    # -- control -------------------------------------------------------------------------------

    async def answer(self, *, max_duration: float | None = None) -> None:
        """Answer a ringing inbound call (media starts flowing both ways)."""
        if self.control is None:
            raise RuntimeError("call has no engine")
        await self.control.answer(self, max_duration=max_duration)

    async def hangup(self) -> None:
        """BYE when answered, CANCEL or 603 Decline before."""
        if self.control is not None:
            await self.control.hangup(self)

    async def hold(self, on: bool = True) -> None:
        """Put the answered call on hold (``on``) or take it off; returns once the other side
        accepted the change. While held, nothing the service plays is heard."""
        if not isinstance(self.control, HoldControl):
            raise RuntimeError("this call cannot be put on hold")
        await self.control.hold(self, on)

    # -- audio ---------------------------------------------------------------------------------

    def _audio_put(self, frame: bytes | None) -> None:
        if self._audio.full():
            self._audio.get_nowait()
        self._audio.put_nowait(frame)

    def receive_frame(self, pcm: bytes) -> None:
        """From the media stream: one decoded frame of the other party's audio."""
        if not self._ended.is_set():
            self._audio_put(pcm)
            if self.recorder is not None:
                self.recorder.heard(pcm)

    def record(self) -> None:
        """Record both sides from now on; the file is written, encrypted, when the call ends.

        Callers of this must have told the other party and have their consent."""
        if self.recorder is None:
            self.recorder = Recorder()

    async def audio(self) -> AsyncIterator[bytes]:
        """Received 20 ms frames until the call ends (at once for a reader that comes after
        the end and the frames before it were read by another)."""
        while True:
            if self._ended.is_set() and self._audio.empty():
                return
            frame = await self._audio.get()
            if frame is None:
                return
            yield frame

    def play(self, pcm: bytes) -> None:
        """Queue PCM (16-bit, mono, 8 kHz) to be sent, after anything already queued."""
        self._outgoing.extend(frames(pcm))
        if self._outgoing:
            self._drained.clear()

    @property
    def queued_frames(self) -> int:
        """Frames waiting to be sent (for a live source that must not fall behind)."""
        return len(self._outgoing)

    def take_queued(self) -> bytes:
        """Take back the audio not sent yet (to pause it, and maybe play it again later)."""
        queued = b"".join(self._outgoing)
        self.stop_playing()
        return queued

    def stop_playing(self) -> None:
        """Drop queued audio at once (barge-in)."""
        self._outgoing.clear()
        self._drained.set()

    async def played(self) -> None:
        """Wait until everything queued has been sent (or the call ended)."""
        await self._drained.wait()

    def next_frame(self) -> bytes:
        """For the media clock: the next frame to send, silence when nothing is queued."""
        frame = silence()
        if self._outgoing:
            frame = self._outgoing.popleft()
            if not self._outgoing:
                self._drained.set()
        if self.recorder is not None:
            self.recorder.said(frame)
        return frame

    def send_dtmf(self, digit: str) -> None:
        if digit not in "0123456789*#ABCD" or len(digit) != 1:
            raise ValueError(f"not a DTMF digit: {digit!r}")
        if self.media is not None:
            self.media.send_dtmf(digit)
