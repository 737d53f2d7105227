"""A far-end handset's RTP for SIPp's signalling, on a thread (for the synchronous browser tests):
it hears the call's audio (which 20 ms frames carry sound), echoes it back so the caller hears
something, and reads the key presses (RFC 4733 telephone-events) with its own parser, not ours.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from aiortp.codecs.g711 import PcmuCodec

LOUD = 300.0  # RMS of a 20 ms frame that carries sound
EVENTS = "0123456789*#ABCD"  # RFC 4733 §3.2: events 0-15
_CODEC = PcmuCodec()


@dataclass
class Handset:
    sock: socket.socket
    loud: list[bool] = field(default_factory=list)  # per PCMU frame, in arrival order
    digits: list[str] = field(default_factory=list)  # each event once, at its end (E bit)
    changed: threading.Condition = field(default_factory=threading.Condition)
    _ended: set[int] = field(default_factory=set)  # RTP timestamps of events already ended
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _receive(self) -> None:
        self.sock.settimeout(0.2)  # to notice the end: a close does not wake a blocked read
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            self._packet(data, addr)

    def _packet(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12 or data[0] >> 6 != 2:
            return
        start = 12 + 4 * (data[0] & 0x0F)  # CSRC list
        if data[0] & 0x10 and len(data) >= start + 4:  # header extension
            start += 4 + 4 * struct.unpack("!H", data[start + 2 : start + 4])[0]
        payload_type, timestamp = data[1] & 0x7F, struct.unpack("!I", data[4:8])[0]
        body = data[start:]
        with self.changed:
            if payload_type == 0:
                pcm = np.frombuffer(_CODEC.decode(body), dtype="<i2").astype(np.float64)
                self.loud.append(bool(np.sqrt((pcm**2).mean()) > LOUD))
                self.sock.sendto(data, addr)  # the echo
            elif payload_type == 101 and len(body) >= 4:
                event, flags = body[0], body[1]
                if flags & 0x80 and timestamp not in self._ended and event < len(EVENTS):
                    self._ended.add(timestamp)  # the end is sent three times (§2.5.1.4)
                    self.digits.append(EVENTS[event])
            self.changed.notify_all()

    def until(self, done: Callable[[], bool], seconds: float = 60) -> None:
        """Wait, on arriving packets, until ``done()`` holds (``seconds`` at most)."""
        deadline = time.monotonic() + seconds
        with self.changed:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the handset never heard what was awaited")
                self.changed.wait(left)

    def sounding(self, frames: int = 25) -> bool:
        """The last ``frames`` frames (half a second) mostly carry sound."""
        tail = self.loud[-frames:]
        return len(tail) == frames and sum(tail) >= frames * 0.8

    def silent(self, frames: int = 50) -> bool:
        """The last ``frames`` frames (a second) are all quiet."""
        tail = self.loud[-frames:]
        return len(tail) == frames and not any(tail)


@contextmanager
def handset() -> Iterator[Handset]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    phone = Handset(sock)
    reader = threading.Thread(target=phone._receive, daemon=True)
    reader.start()
    try:
        yield phone
    finally:
        phone._stop.set()
        reader.join(timeout=5)
        sock.close()
