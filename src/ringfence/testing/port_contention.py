"""Contention for a range of UDP ports, as other programs on the host make it: a free range to
start from, ports of it held from outside, and a prober that takes every port the moment it sees
it go free. The fault test of the RTP allocator and its benchmark (``bench/faults_campaigns.py``)
both use it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

HOST = "127.0.0.1"


EPHEMERAL = 32768  # Linux's first ephemeral port: from here on the kernel hands ports out


def free_range(pairs: int, start: int = 29000) -> int:
    """The low end of ``pairs`` RTP pairs (``2 * pairs`` ports) nobody on the host holds now,
    below the ephemeral ports: a port the kernel hands another program (a SIPp's media port, a
    test's free port) never falls in a range the prober contends for."""
    for low in range(start, EPHEMERAL - 2 * pairs, 2 * pairs):
        socks = []
        try:
            for port in range(low, low + 2 * pairs):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.bind((HOST, port))
            return low
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free port range")


@contextmanager
def outsiders(low: int, pairs: int) -> Iterator[list[int]]:
    """Ports of the range held by someone else: the RTP or the RTCP half of every 4th pair."""
    held = [low + 8 * i + (i % 2) for i in range(pairs // 4)]
    socks = []
    try:
        for port in held:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.bind((HOST, port))
        yield held
    finally:
        for sock in socks:
            sock.close()


class Prober(threading.Thread):
    """Another program on the host: it takes any port of the range the moment it sees one it
    found bound go free, and holds it ``HOLD`` seconds."""

    HOLD = 0.05

    def __init__(self, low: int, high: int) -> None:
        super().__init__(name="prober", daemon=True)
        self.ports = range(low, high)
        self.done = threading.Event()
        self.taken = 0

    def run(self) -> None:
        busy: set[int] = set()  # bound by someone else when last seen
        held: dict[int, tuple[float, socket.socket]] = {}
        while not self.done.is_set():
            now = time.monotonic()
            for port, (until, sock) in list(held.items()):
                if until < now:
                    sock.close()
                    del held[port]
            for port in self.ports:
                if port in held:
                    continue
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    sock.bind((HOST, port))
                except OSError:
                    sock.close()
                    busy.add(port)
                    continue
                if port in busy:
                    busy.discard(port)
                    held[port] = (now + self.HOLD, sock)
                    self.taken += 1
                else:
                    sock.close()
        for _, sock in held.values():
            sock.close()


@contextmanager
def probing(low: int, high: int) -> Iterator[Prober]:
    """A ``Prober`` on the range while the block runs; stopped and joined after it."""
    prober = Prober(low, high)
    prober.start()
    try:
        yield prober
    finally:
        prober.done.set()
        prober.join()
