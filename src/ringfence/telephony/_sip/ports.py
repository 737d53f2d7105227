"""RTP port pairs held, not just probed, from the offer until the stream binds them.

aiortp's allocator binds a probe socket and closes it at once, so another engine (in this process
or another) could take the same port between our SDP offer and the answer seconds later; the call
then fails with "address already in use". Here the probe sockets stay bound until ``claim`` hands
the port to the RTP stream, a window of microseconds instead of a ring time.
"""

from __future__ import annotations

import asyncio
import socket


class RtpPorts:
    """Even RTP ports in ``[low, high)``, each reserved with its RTCP neighbour."""

    def __init__(self, low: int, high: int) -> None:
        self._low = low + (low % 2)
        self._high = high
        self._taken: set[int] = set()
        self._held: dict[int, tuple[socket.socket, socket.socket]] = {}
        self._next = self._low
        self._lock = asyncio.Lock()

    async def allocate(self) -> tuple[int, int]:
        """An (RTP, RTCP) pair, bound here until ``claim``. Starts after the last port handed out,
        so a port just released is not reused while the far end may still send to it."""
        async with self._lock:
            span = range(self._low, self._high, 2)
            if not span:
                raise RuntimeError("the RTP port range is empty")
            start = (self._next - self._low) // 2 % len(span)
            for i in range(len(span)):
                port = span[(start + i) % len(span)]
                if port in self._taken:
                    continue
                pair = _bind_pair(port)
                if pair is None:
                    continue
                self._taken.add(port)
                self._held[port] = pair
                self._next = port + 2
                return port, port + 1
            raise RuntimeError("no free RTP port pair in range")

    def claim(self, port: int) -> None:
        """Free the held sockets so the RTP stream can bind ``port`` itself, right now."""
        for sock in self._held.pop(port, ()):
            sock.close()

    async def release(self, port: int) -> None:
        async with self._lock:
            self.claim(port)
            self._taken.discard(port)


def _bind_pair(port: int) -> tuple[socket.socket, socket.socket] | None:
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rtp.bind(("", port))
        rtcp.bind(("", port + 1))
    except OSError:
        rtp.close()
        rtcp.close()
        return None
    return rtp, rtcp
