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
from collections import Counter

import pytest

from ringfence.settings import Settings
from ringfence.telephony import TelephonyEngine
from ringfence.telephony._sip.ports import shared
from ringfence.testing.port_contention import free_range, outsiders, probing
from tests.conftest import SettingsFactory
from tests.support.sipp import start_sipp

pytestmark = pytest.mark.integration

ENGINES = 2
ROUNDS = 3
AT_ONCE = 10  # calls each engine has up at once
PAIRS = 64  # 2 engines x 10 calls need 20 pairs; outsiders hold 16, the prober what we free


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
    low = free_range(PAIRS)
    high = low + 2 * PAIRS
    settings = make_settings(
        telephony={"sip_host": "127.0.0.1", "rtp_port_min": low, "rtp_port_max": high,
                   "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": callee.port}]},
    )  # fmt: skip
    try:
        with outsiders(low, PAIRS) as held, probing(low, high) as prober:
            engines = await asyncio.gather(
                *(asyncio.to_thread(_place, settings) for _ in range(ENGINES))
            )
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
