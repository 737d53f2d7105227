"""Fault: RTP ports taken while calls are placed. Two telephony engines in one process, each on
a thread and event loop of its own (two dialling jobs of one worker), place calls at once over
one narrow RTP range. Other programs hold a quarter of its pairs (plain sockets bound from
outside), and a prober takes every port of the range the moment it sees it go free and holds
it a while (another process's allocator, another job). Every call is answered and gets its
media: a port conflict never reaches a callee, and every port comes back when the calls end.

Issue 23: 3 of 600 campaign calls were answered and then failed with "Address already in use";
against the allocator that closed its probe sockets for the stream to bind the port again, the
prober fails several calls of every run here."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ringfence.settings import Settings
from ringfence.telephony import TelephonyEngine
from ringfence.telephony._sip.ports import shared
from tests.conftest import SettingsFactory
from tests.support.sipp import start_sipp

pytestmark = pytest.mark.integration

ENGINES = 2
ROUNDS = 3
AT_ONCE = 10  # calls each engine has up at once
PAIRS = 64  # 2 engines x 10 calls need 20 pairs; outsiders hold 16, the prober what we free


def _free_range(pairs: int) -> int:
    """The low end of ``pairs`` RTP pairs nobody on the machine holds right now."""
    for low in range(40000, 60000, 2 * pairs):
        socks = []
        try:
            for port in range(low, low + 2 * pairs):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return low
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free RTP range")


@contextmanager
def outsiders(low: int, pairs: int) -> Iterator[list[int]]:
    """Ports of the range held by someone else: the RTP or the RTCP half of every 4th pair."""
    held = [low + 8 * i + (i % 2) for i in range(pairs // 4)]
    socks = []
    try:
        for port in held:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.bind(("127.0.0.1", port))
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
                    sock.bind(("127.0.0.1", port))
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


def _place(settings: Settings) -> tuple[Counter[str], set[int]]:
    """One engine on this thread's own loop: ``ROUNDS`` rounds of ``AT_ONCE`` calls at once,
    each hung up as soon as it is answered; how the calls ended, and the RTP ports they had."""

    async def run() -> tuple[Counter[str], set[int]]:
        engine = TelephonyEngine(settings, port=0, outbound_only=True)
        await engine.start()
        ends: Counter[str] = Counter()
        ports: set[int] = set()

        async def one() -> None:
            call = await engine._place_call("+12125550100")
            if await call.wait_answered():
                assert call.media is not None
                ports.add(call.media.port)
                await call.hangup()
            await call.wait_ended()
            ends[call.end_reason.value if call.end_reason else "none"] += 1

        try:
            for _ in range(ROUNDS):
                await asyncio.gather(*(one() for _ in range(AT_ONCE)))
        finally:
            await engine.stop()
        return ends, ports

    return asyncio.run(run())


async def test_two_engines_in_one_process_never_fail_a_call_on_a_port(
    make_settings: SettingsFactory,
) -> None:
    calls = ENGINES * ROUNDS * AT_ONCE
    callee = await start_sipp("uas", calls=calls, limit="120s")
    low = _free_range(PAIRS)
    high = low + 2 * PAIRS
    settings = make_settings(
        telephony={"sip_host": "127.0.0.1", "rtp_port_min": low, "rtp_port_max": high,
                   "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": callee.port}]},
    )  # fmt: skip
    try:
        prober = Prober(low, high)
        with outsiders(low, PAIRS) as held:
            prober.start()
            try:
                engines = await asyncio.gather(
                    *(asyncio.to_thread(_place, settings) for _ in range(ENGINES))
                )
            finally:
                prober.done.set()
                await asyncio.to_thread(prober.join)
        rc, screen = await callee.finish()
    finally:
        await callee.kill()
    assert rc == 0, screen
    for ends, _ in engines:
        assert ends == Counter(completed=ROUNDS * AT_ONCE), ends  # answered, media, hung up
    used = set().union(*(ports for _, ports in engines))
    assert not used & {p - p % 2 for p in held}  # a pair someone else holds half of: skipped
    assert shared(low, high).in_use == 0  # every port came back
    assert prober.taken > 0  # it did take the ports our calls let go
