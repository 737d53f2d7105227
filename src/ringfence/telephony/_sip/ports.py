"""RTP port pairs held by this process from the SDP offer until the call ends.

A port is bound when it is allocated (the next pair after the last one handed out that the
kernel lets us bind: a pair another job, process or program holds is skipped) and the very
same sockets carry the call's RTP and RTCP: the stream gets duplicates of them, never a port
number to bind again. Nothing else can take a port between our offer and the answer, so a port
conflict can no longer fail a call the callee has already picked up (issue 23: two dialling
jobs in one process, each with an allocator that probed a port and closed it, took the same
one: "Address already in use" after the 200 OK). An early-media stream replaced by the answer's
takes new duplicates: the port stays bound between the two.

There is one allocator per range in a process (``shared``), used by every engine, thread and
event loop in it under one thread lock, so they hand ports out in one rotation (a port just
released is not reused while the far end may still send to it).
"""

from __future__ import annotations

import socket
import threading


class NoRtpPort(OSError):
    """Every pair of the RTP range is in use (by us or anything else on the host)."""


class RtpPorts:
    """Even RTP ports in ``[low, high)``, each held with its RTCP neighbour until released."""

    def __init__(self, low: int, high: int) -> None:
        self._low = low + (low % 2)
        self._high = high
        self._held: dict[int, tuple[socket.socket, socket.socket]] = {}
        self._next = self._low
        self._lock = threading.Lock()

    def allocate(self, host: str) -> int:
        """An RTP port (its RTCP port is the next one), both bound on ``host`` until
        ``release``. Starts after the last port handed out and tries each pair in turn."""
        with self._lock:
            span = range(self._low, self._high, 2)
            if not span:
                raise NoRtpPort("the RTP port range is empty")
            start = (self._next - self._low) // 2 % len(span)
            for i in range(len(span)):
                port = span[(start + i) % len(span)]
                if port in self._held:
                    continue
                pair = _bind_pair(host, port)
                if pair is None:
                    continue  # someone else holds it: the next pair
                self._held[port] = pair
                self._next = port + 2
                return port
            raise NoRtpPort(f"no free RTP port pair in {self._low}-{self._high}")

    def sockets(self, port: int) -> tuple[socket.socket, socket.socket]:
        """Duplicates of ``port``'s RTP and RTCP sockets for a stream to own (closing them
        leaves the port held). Datagrams waiting on the port (a replaced early-media stream's)
        are dropped first, so the new stream latches to its own peer."""
        with self._lock:
            pair = self._held.get(port)
            if pair is None:
                raise NoRtpPort(f"RTP port {port} is not held")
            for sock in pair:
                _drain(sock)
            return pair[0].dup(), pair[1].dup()

    def release(self, port: int) -> None:
        """The call is over: close the held sockets (a stream's duplicates are its own)."""
        with self._lock:
            pair = self._held.pop(port, ())
        for sock in pair:
            sock.close()

    @property
    def in_use(self) -> int:
        return len(self._held)


_shared: dict[tuple[int, int], RtpPorts] = {}
_shared_lock = threading.Lock()


def shared(low: int, high: int) -> RtpPorts:
    """The process's allocator for ``[low, high)``."""
    with _shared_lock:
        ports = _shared.get((low, high))
        if ports is None:
            ports = _shared[(low, high)] = RtpPorts(low, high)
        return ports


def _bind_pair(host: str, port: int) -> tuple[socket.socket, socket.socket] | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    rtp = socket.socket(family, socket.SOCK_DGRAM)
    rtcp = socket.socket(family, socket.SOCK_DGRAM)
    try:
        rtp.bind((host, port))
        rtcp.bind((host, port + 1))
    except OSError:
        rtp.close()
        rtcp.close()
        return None
    return rtp, rtcp


def _drain(sock: socket.socket) -> None:
    while True:
        try:
            sock.recv(2048, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except ConnectionError:
            continue  # an ICMP error queued on the socket, reported once
