"""A handset's audio for SIPp's signalling: the RTP socket SIPp's SDP names, where the test
speaks (PCMU, one packet per 20 ms, paced in real time) and hears what the far end sends.

SIPp plays audio only from captures, at fixed points of its scenario; the tests must speak
when the agent has finished (or while it talks), which they learn from what they hear.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from aiortp.codecs.g711 import PcmuCodec

from ringfence.speech.stt import WhisperTranscriber

FRAME = 160  # samples in 20 ms at 8 kHz
LOUD = 300.0  # RMS of a 20 ms frame that carries sound
_CODEC = PcmuCodec()


@dataclass
class Ear(asyncio.DatagramProtocol):
    frames: list[bytes] = field(default_factory=list)  # in arrival order (loopback keeps it)
    loud: list[bool] = field(default_factory=list)  # per frame, in arrival order
    peer: tuple[str, int] | None = None  # where the far end sends from (symmetric RTP)
    transport: asyncio.DatagramTransport | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    _sent: int = 0  # packets sent: one stream across utterances (sequence and timestamp)
    _epoch: float = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12 or data[1] & 0x7F != 0:
            return  # not PCMU (telephone-event, RTCP)
        self.peer = addr
        pcm = _CODEC.decode(data[12:])
        self.frames.append(pcm)
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        self.loud.append(bool(np.sqrt((samples**2).mean()) > LOUD))
        self.changed.set()

    def audio(self) -> bytes:
        return b"".join(self.frames)

    async def until(self, done: Callable[[], bool], seconds: float = 30) -> None:
        """Wait (on arriving packets) until ``done()`` holds; ``seconds`` at most."""
        async with asyncio.timeout(seconds):
            while not done():
                self.changed.clear()
                await self.changed.wait()

    def spoke_then_paused(self, pause: float, after: int = 0) -> bool:
        """The far end made sound (after frame ``after``) and has been quiet ``pause`` s."""
        quiet = int(pause / 0.02)
        tail = self.loud[after:]
        return any(tail) and len(tail) > quiet and not any(tail[-quiet:])

    def speaking(self, after: int, frames: int = 10) -> bool:
        """The far end has made sound for ``frames`` frames since frame ``after``."""
        return sum(self.loud[after:]) >= frames

    async def say(self, pcm: bytes) -> None:
        """Send ``pcm`` (8 kHz 16-bit) to the far end in real time, then silence resumes."""
        assert self.transport is not None and self.peer is not None
        pcm += bytes((-len(pcm)) % (FRAME * 2))
        start = time.monotonic()
        self._epoch = self._epoch or start
        for i in range(len(pcm) // (FRAME * 2)):
            payload = _CODEC.encode(pcm[i * FRAME * 2 : (i + 1) * FRAME * 2])
            stamp = int((time.monotonic() - self._epoch) * 8000) & 0xFFFFFFFF
            header = struct.pack("!BBHII", 0x80, 0x80 if i == 0 else 0, self._sent & 0xFFFF,
                                 stamp, 0x5EED)  # fmt: skip
            self._sent += 1
            self.transport.sendto(header + payload, self.peer)
            # RTP is paced by the clock: the next packet is due 20 ms after this one.
            await asyncio.sleep(max(0.0, start + (i + 1) * 0.02 - time.monotonic()))

    async def press(self, digit: str, payload_type: int = 101) -> None:
        """A key press as RFC 4733 telephone-event packets: 100 ms of the event (one
        timestamp, growing duration), then its end three times (section 2.5.1.4)."""
        assert self.transport is not None and self.peer is not None
        event = "0123456789*#".index(digit)
        start = int((time.monotonic() - (self._epoch or time.monotonic())) * 8000) & 0xFFFFFFFF
        for i in range(8):
            end = i >= 5
            duration = FRAME * min(i + 1, 5)
            header = struct.pack("!BBHII", 0x80, payload_type | (0x80 if i == 0 else 0),
                                 self._sent & 0xFFFF, start, 0x5EED)  # fmt: skip
            body = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
            self._sent += 1
            self.transport.sendto(header + body, self.peer)
            await asyncio.sleep(0.02 if not end else 0)


async def open_ear() -> Ear:
    loop = asyncio.get_running_loop()
    _, ear = await loop.create_datagram_endpoint(Ear, local_addr=("127.0.0.1", 0))
    return ear


def ear_port(ear: Ear) -> int:
    assert ear.transport is not None
    return int(ear.transport.get_extra_info("sockname")[1])


def utterances(ear: Ear, after: int = 0) -> list[bytes]:
    """What the far end said since frame ``after``, cut at each half second of quiet."""
    loud, frames, parts = ear.loud, ear.frames, []
    start: int | None = None
    for i in range(after, len(loud) + 25):
        if i < len(loud) and loud[i]:
            start = i if start is None else start
        elif start is not None and not any(loud[i : i + 25]):  # half a second of quiet
            parts.append(b"".join(frames[max(after, start - 10) : i + 10]))
            start = None
    return parts


async def transcribe_heard(ear: Ear, after: int = 0) -> str:
    """What the far end said, transcribed utterance by utterance (Whisper skips speech in a
    long recording that is mostly silence), lower case."""
    transcriber = WhisperTranscriber()
    return " ".join([await transcriber.transcribe(p) for p in utterances(ear, after)]).lower()


def tone(hz: float, seconds: float, level: float = 8000) -> bytes:
    """A sine tone as 8 kHz 16-bit PCM (a voicemail beep)."""
    t = np.arange(int(8000 * seconds)) / 8000
    return (np.sin(2 * np.pi * hz * t) * level).astype("<i2").tobytes()
