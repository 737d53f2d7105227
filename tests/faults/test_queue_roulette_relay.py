"""roulette's two processes relay through a Redis of their own that is killed and started
again: each one's listener waits a bounded time between reconnects, and once Redis is back both
are subscribed again within seconds and relay across as before."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from ringfence.services.roulette.relay import RECONNECT_MOST
from ringfence.testing.redis_server import RedisServer
from tests.conftest import SettingsFactory
from tests.integration.services.test_roulette import peers, server
from tests.support.logs import watched_logs

pytestmark = pytest.mark.integration

# Failed reconnects seen while Redis is down: more than the waits take to reach their bound.
ATTEMPTS = 7


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path / "redis") as running:
        yield running


async def test_the_relay_reconnects_within_its_bound_after_a_redis_restart(
    make_settings: SettingsFactory, database_url: str, redis_server: RedisServer
) -> None:
    settings = make_settings(
        database_url=database_url,
        redis_url=redis_server.url,
        jobs={"queue_name": "rf-relay", "backend": "embedded"},
        web={"trusted_proxies": ["127.0.0.1"]},
    )
    async with (
        server(settings) as first,
        server(settings) as second,
        peers(first, "198.51.100.50") as (a,),
        peers(second, "198.51.100.51") as (b,),
    ):
        with watched_logs() as logs:
            await asyncio.to_thread(redis_server.kill)
            await logs.until("roulette_relay_reconnecting", ATTEMPTS, seconds=60)
            await asyncio.to_thread(redis_server.start)
            # Both listeners subscribed again: at most one bounded wait after Redis came back.
            await logs.until("roulette_relay_subscribed", 2, seconds=RECONNECT_MOST + 10)
        waits = [e["wait"] for e in logs.named("roulette_relay_reconnecting")]
        assert max(waits) == RECONNECT_MOST, waits
        assert (await a.join())["state"] == "waiting"
        assert (await b.join())["state"] == "matched"
        assert await a.call("message", "after the restart") == {"ok": True}
        assert (await b.next("message"))["text"] == "after the restart"
