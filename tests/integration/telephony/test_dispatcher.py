"""Engines past one machine: SIPp (the carrier) → Kamailio's dispatcher, with the deployment's
own configuration (deploy/kamailio/kamailio.cfg) → two engines on their own addresses
(127.0.0.2 and 127.0.0.3). New calls are shared between the engines; when one stops, new calls go
to the other, and a call the live engine holds goes on to its end through the proxy. The other
way, an engine's calls out, from its own process and from another (a job worker's engine on any
port), reach the carrier through the same proxy."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from ringfence.settings import Settings
from ringfence.telephony import Call, TelephonyEngine
from ringfence.testing.dispatcher_proxy import dispatcher
from tests.conftest import SettingsFactory
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, start_sipp

pytestmark = pytest.mark.integration

PROXY = "127.0.0.1"
ENGINES = ("127.0.0.2", "127.0.0.3")
TONE = b"\x00\x10" * 160  # 20 ms of a quiet square wave, as 16-bit PCM


def _free_on_every_host(hosts: tuple[str, ...]) -> int:
    """A UDP port free on each of ``hosts`` (the engines listen on the same port)."""
    while True:
        port = free_port()
        try:
            for host in hosts:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    sock.bind((host, port))
            return port
        except OSError:
            continue


class Engines:
    """The two engines; which took each call, and how each call ended."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.taken: Counter[str] = Counter()
        self.answered: asyncio.Queue[str] = asyncio.Queue()  # each answer's engine, in order
        self.ends: Counter[tuple[str, str, str]] = Counter()  # (host, reason, by whom)
        self.engines = {host: TelephonyEngine(settings, host=host, port=port) for host in ENGINES}
        for host, engine in self.engines.items():
            engine.route(None, self._answerer(host), service="test")

    def _answerer(self, host: str):  # type: ignore[no-untyped-def]
        async def answer(call: Call) -> None:
            await call.answer()
            self.taken[host] += 1
            self.answered.put_nowait(host)
            while not call.ended:
                call.play(TONE)
                await call.played()
            reason = call.end_reason.value if call.end_reason else "none"
            self.ends[host, reason, call.ended_by or "none"] += 1

        return answer


@pytest.fixture
async def engines(make_settings: SettingsFactory) -> AsyncIterator[Engines]:
    low, high = free_rtp_range()
    settings = make_settings(
        telephony={
            "enabled": True,
            "rtp_port_min": low,
            "rtp_port_max": high,
            "carriers": [{"name": "proxy", "host": PROXY, "inbound_sources": [f"{PROXY}/32"]}],
        }
    )
    made = Engines(settings, _free_on_every_host(ENGINES))
    for engine in made.engines.values():
        await engine.start()
    try:
        yield made
    finally:
        for engine in made.engines.values():
            await engine.stop()


async def _calls(proxy_port: int, calls: int, hold_ms: int) -> tuple[int, str]:
    sipp = await start_sipp(
        "uac_routed",
        remote=f"{PROXY}:{proxy_port}",
        fill={"hold_ms": str(hold_ms)},
        calls=calls,
        extra=["-r", "5", "-l", str(calls)],
        limit="120s",
    )
    try:
        return await sipp.finish()
    finally:
        await sipp.kill()


async def test_calls_are_shared_and_survive_an_engine_stopping(engines: Engines) -> None:
    proxy_port = free_port()
    hosts = [(host, engine.local_port) for host, engine in engines.engines.items()]
    async with dispatcher(PROXY, proxy_port, hosts):
        rc, screen = await _calls(proxy_port, 10, 500)
        assert rc == 0, screen
        assert set(engines.taken) == set(ENGINES), engines.taken  # both took calls
        assert sum(engines.taken.values()) == 10

        # A long call is up on each engine (round-robin); then the second engine stops.
        while not engines.answered.empty():
            engines.answered.get_nowait()
        held = asyncio.ensure_future(_calls(proxy_port, 2, 8000))
        async with asyncio.timeout(60):
            held_on = {await engines.answered.get(), await engines.answered.get()}
        assert held_on == set(ENGINES), held_on
        await engines.engines[ENGINES[1]].stop()
        # New calls all go to the live engine, none fails.
        taken = Counter(engines.taken)
        rc, screen = await _calls(proxy_port, 6, 300)
        assert rc == 0, screen
        assert engines.taken[ENGINES[0]] == taken[ENGINES[0]] + 6
        assert engines.taken[ENGINES[1]] == taken[ENGINES[1]]
        # The live engine's long call ended when SIPp hung up: its BYE came through the proxy.
        # The stopped engine hung up its own call (SIPp, expecting to hang up, counts it failed).
        rc, screen = await held
    live, stopped = ENGINES
    assert engines.ends[live, "completed", "remote"] == engines.taken[live], engines.ends
    assert engines.ends[stopped, "completed", "remote"] == engines.taken[stopped] - 1
    assert engines.ends[stopped, "completed", "local"] == 1, engines.ends


async def test_engines_call_out_through_the_proxy(make_settings: SettingsFactory) -> None:
    proxy_port = free_port()
    carrier = await start_sipp("uas_routed", calls=2, limit="120s")
    low, high = free_rtp_range()
    settings = make_settings(
        telephony={
            "enabled": True,
            "rtp_port_min": low,
            "rtp_port_max": high,
            "carriers": [
                {
                    "name": "proxy",
                    "host": PROXY,
                    "port": proxy_port,
                    "inbound_sources": [f"{PROXY}/32"],
                }
            ],
        }
    )
    engine = TelephonyEngine(settings, host=ENGINES[0], port=_free_on_every_host(ENGINES[:1]))
    worker = TelephonyEngine(settings, host=ENGINES[0], port=0, outbound_only=True)
    await engine.start()
    await worker.start()
    ends = Counter[str]()
    try:
        async with dispatcher(
            PROXY, proxy_port, [(ENGINES[0], engine.local_port)], carrier=(PROXY, carrier.port)
        ):
            for caller in (engine, worker):
                call = await caller._place_call("+14155550123")
                assert await call.wait_answered(), call.end_reason
                await call.hangup()
                await call.wait_ended()
                ends[call.end_reason.value if call.end_reason else "none"] += 1
            rc, screen = await carrier.finish()
    finally:
        await carrier.kill()
        await worker.stop()
        await engine.stop()
    assert rc == 0, screen  # the carrier took both calls and their BYEs
    assert ends == Counter(completed=2), ends
