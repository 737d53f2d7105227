"""Whether the queue's Redis keeps accepted jobs across its own restart.

Redis holds the only copy of a queued job. With append-only persistence (``appendonly yes``)
every write is logged and replayed when Redis starts again, so a restart (or a crash of the
Redis process) loses none; without it (the Debian package's default keeps only occasional
snapshots, some setups none) every job queued since the last snapshot is gone.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis import ResponseError

OFF = (
    "Redis append-only persistence is off (appendonly no): queued jobs are lost when Redis "
    "restarts; set appendonly yes"
)
UNKNOWN = (
    "cannot tell whether Redis keeps an append-only log (INFO and CONFIG are refused): queued "
    "jobs survive a Redis restart only with appendonly yes"
)


async def redis_persistence(client: aioredis.Redis) -> str | None:
    """None when Redis logs every write; else a warning saying what to set. Asks ``INFO
    persistence`` first (allowed on most managed Redis), then ``CONFIG GET appendonly``."""
    try:
        info = await client.info("persistence")
        return None if int(info.get("aof_enabled", 0)) else OFF
    except ResponseError:
        pass
    try:
        reply = await client.config_get("appendonly")
    except ResponseError:
        return UNKNOWN
    value = reply.get("appendonly", reply.get(b"appendonly"))  # type: ignore[call-overload]
    return None if value in ("yes", b"yes") else OFF
