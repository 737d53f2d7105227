"""Fault experiments on the job queue's Redis and roulette's relay through it.

Method. Each uses a ``redis-server`` of its own on a free port (``ringfence.testing.redis_server``;
Debian's ``redis-server`` package).

1. ``lost_*``: 20 jobs enqueued on the Redis queue, Redis stopped and started again, then a
   consumer runs what is left: how many of the 20 never ran. With append-only persistence and a
   restart by the service manager (SIGTERM), with ``appendfsync always`` and a crash (SIGKILL),
   and without persistence (the issue's case), where ``/readyz`` warns.
2. ``enqueue_outage_*``: with Redis down, the seconds an enqueue waits before it fails, and
   whether it failed with the 503 error (``ServiceUnavailable``) rather than Redis's own.
3. ``relay_*``: roulette's Socket.IO relay (``services/roulette/relay.RedisRelay``) subscribed,
   Redis down for 16 s then back: the seconds until the relay is subscribed again, and the same
   for python-socketio's own manager, whose waits double to 60 s.

Run: ``.venv/bin/python bench/faults_queue.py`` (or ``bench/faults.py --only queue``).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import redis
import redis.asyncio as aioredis
import socketio

from fault_rig import until
from ringfence.errors import ServiceUnavailable
from ringfence.jobs import JobContext, JobQueue, registry
from ringfence.services.roulette.relay import RedisRelay
from ringfence.settings import Settings
from ringfence.store import migrate
from ringfence.testing.redis_server import RedisServer

JOBS = 20
OUTAGE = 16.0  # the library's waits (1, 2, 4, 8 s) end 15 s after Redis went


@registry.job(name="bench.echo", retries=0)
async def echo(ctx: JobContext, value: str) -> str:
    return value


async def _settings(folder: Path, url: str) -> Settings:
    database = f"sqlite+aiosqlite:///{folder / 'ringfence.db'}"
    await asyncio.to_thread(migrate, database)
    queue = {"queue_name": f"rf-bench-{uuid.uuid4().hex[:8]}"}
    return Settings(data_dir=folder / "data", database_url=database, redis_url=url, jobs=queue)


async def lost(folder: Path, appendonly: bool, appendfsync: str, crash: bool) -> int:
    with RedisServer(folder / "redis", appendonly=appendonly, appendfsync=appendfsync) as rs:
        queue = JobQueue(await _settings(folder, rs.url), modules=[__name__])
        for i in range(JOBS):
            await queue.enqueue(echo.name, f"job {i}")
        await asyncio.to_thread(rs.kill if crash else rs.stop)
        await asyncio.to_thread(rs.start)
        left = queue.pending()
        queue.start(workers=2)

        async def emptied() -> bool:
            return not queue.pending()

        try:
            await until(emptied)
        finally:
            await asyncio.to_thread(queue.stop)
    return JOBS - left


async def enqueue_outage(folder: Path) -> dict[str, float | int]:
    with RedisServer(folder / "redis") as rs:
        queue = JobQueue(await _settings(folder, rs.url), modules=[__name__])
        await queue.enqueue(echo.name, "before")
        await asyncio.to_thread(rs.kill)
        started = time.monotonic()
        try:
            await queue.enqueue(echo.name, "during")
            refused = 0
        except ServiceUnavailable:
            refused = 1
        waited = time.monotonic() - started
    return {"enqueue_outage_wait_s": round(waited, 2), "enqueue_outage_503": refused}


def _subscribed(url: str, channel: str) -> Callable[[], Awaitable[bool]]:
    async def subscribed() -> bool:
        client = aioredis.from_url(url)
        try:
            found = dict(await client.pubsub_numsub(channel))
            return bool(found.get(channel.encode()))
        except (OSError, redis.ConnectionError):
            return False
        finally:
            await client.aclose()

    return subscribed


async def relay(folder: Path, kind: type[socketio.AsyncRedisManager]) -> float:
    channel = f"rf-bench-{uuid.uuid4().hex[:8]}:roulette"
    with RedisServer(folder) as rs:
        manager = kind(rs.url, channel)
        socketio.AsyncServer(async_mode="asgi", client_manager=manager)
        manager.initialize()  # as the server does on its first connection
        await until(_subscribed(rs.url, channel))
        await asyncio.to_thread(rs.kill)
        await asyncio.sleep(OUTAGE)  # the outage itself
        await asyncio.to_thread(rs.start)
        back = time.monotonic()
        await until(_subscribed(rs.url, channel))
        again = time.monotonic() - back
        manager.thread.cancel()
    return round(again, 2)


async def experiment() -> dict[str, float | int | str]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        return {
            "lost_appendonly_restart": await lost(folder / "a", True, "everysec", crash=False),
            "lost_appendfsync_always_crash": await lost(folder / "b", True, "always", crash=True),
            "lost_without_appendonly": await lost(folder / "c", False, "everysec", crash=False),
            **await enqueue_outage(folder / "d"),
            "relay_outage_s": OUTAGE,
            "relay_resubscribed_after_s": await relay(folder / "e", RedisRelay),
            "relay_library_resubscribed_after_s": await relay(
                folder / "f", socketio.AsyncRedisManager
            ),
        }


if __name__ == "__main__":
    for name, value in asyncio.run(experiment()).items():
        print(f"{name:34} {value}")
