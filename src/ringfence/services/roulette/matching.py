"""Matchmaking: who waits, who talks to whom.

Fair: the longest-waiting compatible person is matched first. Compatible: each side's country
filter (if any) accepts the other's country, and neither just skipped the other (pressing Next
never brings the same stranger straight back). One implementation keeps the state in the process
(the default); the other in Redis, where a Lua script makes each join atomic, so with several
server processes nobody is matched twice. Nothing here is written to disk: the state is the live
queue and the live pairs, gone when people leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis

from ringfence.clock import Clock

SCAN_LIMIT = 500  # waiting entries a join looks at before it queues itself
REDIS_CONNECTIONS = 32
HEARTBEAT_EVERY = 5.0  # seconds between a server's heartbeats in Redis
HEARTBEAT_TTL = 15  # a server silent this long is gone: its waiting entries are ghosts


@dataclass(frozen=True)
class Seeker:
    sid: str
    country: str  # where the person says they are ("" if unknown)
    wants: str  # the country they want to talk to ("" for anyone)
    ip_key: str  # keyed hash of their IP address, for a report

    def accepts(self, other: Seeker) -> bool:
        return (
            other.sid != self.sid
            and (not self.wants or self.wants == other.country)
            and (not other.wants or other.wants == self.country)
        )


@dataclass(frozen=True)
class Member:
    """What the matcher keeps about a connection while it is in roulette."""

    ip_key: str
    country: str


class Matcher(Protocol):
    async def join(self, seeker: Seeker) -> str | None:
        """The partner's sid if matched now (both leave the queue), else None (queued)."""

    async def leave(self, sid: str) -> str | None:
        """Leave the queue or the pair; returns the partner left behind, if any. The two are
        not matched with each other again straight away."""

    async def partner(self, sid: str) -> str | None: ...

    async def member(self, sid: str) -> Member | None:
        """The IP hash (for a report) and country of someone who joined."""

    async def forget(self, sid: str) -> None:
        """Drop what is kept about a connection that has gone."""

    async def waiting(self) -> int: ...

    async def close(self) -> None: ...


class MemoryMatcher:
    def __init__(self) -> None:
        self._queue: dict[str, Seeker] = {}  # insertion order: longest waiting first
        self._pairs: dict[str, str] = {}
        self._last: dict[str, str] = {}  # sid -> the partner it last parted from
        self._members: dict[str, Member] = {}

    def _compatible(self, seeker: Seeker, other: Seeker) -> bool:
        return (
            seeker.accepts(other)
            and self._last.get(seeker.sid) != other.sid
            and self._last.get(other.sid) != seeker.sid
        )

    async def join(self, seeker: Seeker) -> str | None:
        await self.leave(seeker.sid)
        self._members[seeker.sid] = Member(seeker.ip_key, seeker.country)
        for other in itertools.islice(self._queue.values(), SCAN_LIMIT):
            if self._compatible(seeker, other):
                del self._queue[other.sid]
                self._pairs[seeker.sid], self._pairs[other.sid] = other.sid, seeker.sid
                return other.sid
        self._queue[seeker.sid] = seeker
        return None

    async def leave(self, sid: str) -> str | None:
        self._queue.pop(sid, None)
        partner = self._pairs.pop(sid, None)
        if partner is not None:
            self._pairs.pop(partner, None)
            self._last[sid], self._last[partner] = partner, sid
        return partner

    async def partner(self, sid: str) -> str | None:
        return self._pairs.get(sid)

    async def member(self, sid: str) -> Member | None:
        return self._members.get(sid)

    async def forget(self, sid: str) -> None:
        self._members.pop(sid, None)
        self._last.pop(sid, None)

    async def waiting(self) -> int:
        return len(self._queue)

    async def close(self) -> None:
        self._queue.clear()
        self._pairs.clear()
        self._last.clear()
        self._members.clear()


# KEYS: queue (zset), pairs, last, members (hashes); ARGV: entry key prefix, sid, country,
# wants, member ("ip_key|country"), score, scan limit, this server's id, heartbeat key prefix.
# A waiting entry whose server stopped beating (the process died without its people leaving)
# is a ghost: it is dropped from the queue instead of being matched.
_LEAVE_BODY = """
redis.call('ZREM', queue, sid)
redis.call('DEL', prefix .. sid)
local partner = redis.call('HGET', pairs, sid)
if partner then
  redis.call('HDEL', pairs, sid, partner)
  redis.call('HSET', last, sid, partner, partner, sid)
end
"""

_JOIN = (
    """
local queue, pairs, last, members = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local prefix, sid, country, wants = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
"""
    + _LEAVE_BODY
    + """
redis.call('HSET', members, sid, ARGV[5])
local avoid = redis.call('HGET', last, sid) or ''
for _, other in ipairs(redis.call('ZRANGE', queue, 0, tonumber(ARGV[7]) - 1)) do
  local o = redis.call('HMGET', prefix .. other, 'country', 'wants', 'server')
  if not o[3] or redis.call('EXISTS', ARGV[9] .. o[3]) == 0 then
    redis.call('ZREM', queue, other)
    redis.call('DEL', prefix .. other)
  elseif other ~= sid and (wants == '' or wants == o[1]) and (o[2] == '' or o[2] == country)
      and avoid ~= other and redis.call('HGET', last, other) ~= sid then
    redis.call('ZREM', queue, other)
    redis.call('DEL', prefix .. other)
    redis.call('HSET', pairs, sid, other, other, sid)
    return other
  end
end
redis.call('HSET', prefix .. sid, 'country', country, 'wants', wants, 'server', ARGV[8])
redis.call('ZADD', queue, ARGV[6], sid)
return false
"""
)

_LEAVE = (
    """
local queue, pairs, last = KEYS[1], KEYS[2], KEYS[3]
local prefix, sid = ARGV[1], ARGV[2]
"""
    + _LEAVE_BODY
    + """
return partner
"""
)


class RedisMatcher:
    """The same rules with the state in Redis, shared by every server process."""

    def __init__(self, url: str, prefix: str, clock: Clock) -> None:
        self.clock = clock  # orders the queue by when each seeker joined, across processes
        self.server = uuid.uuid4().hex  # this process, for its heartbeat
        self.alive = f"{prefix}:alive:"
        self._beating: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        # A bounded pool that makes a burst of joins wait for a connection instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=REDIS_CONNECTIONS, timeout=10, decode_responses=True
        )
        self._pool = pool
        self.redis: aioredis.Redis = aioredis.Redis(connection_pool=pool)
        self.queue = f"{prefix}:queue"
        self.pairs = f"{prefix}:pairs"
        self.last = f"{prefix}:last"
        self.members = f"{prefix}:members"
        self.entry = f"{prefix}:w:"
        self._join: Any = self.redis.register_script(_JOIN)
        self._leave: Any = self.redis.register_script(_LEAVE)

    async def _beat(self) -> None:
        while not self._stop.is_set():
            await self.redis.set(self.alive + self.server, "1", ex=HEARTBEAT_TTL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), HEARTBEAT_EVERY)

    async def stop_beating(self) -> None:
        """Stop this server's heartbeat (at shutdown; its waiting entries then become ghosts)."""
        self._stop.set()
        if self._beating is not None:
            await self._beating

    async def _ensure_beating(self) -> None:
        if self._beating is None or self._beating.done():
            await self.redis.set(self.alive + self.server, "1", ex=HEARTBEAT_TTL)
            self._beating = asyncio.create_task(self._beat())

    async def join(self, seeker: Seeker) -> str | None:
        await self._ensure_beating()
        found = await self._join(
            keys=[self.queue, self.pairs, self.last, self.members],
            args=[
                self.entry,
                seeker.sid,
                seeker.country,
                seeker.wants,
                f"{seeker.ip_key}|{seeker.country}",
                self.clock.now().timestamp(),
                SCAN_LIMIT,
                self.server,
                self.alive,
            ],
        )
        return str(found) if found else None

    async def leave(self, sid: str) -> str | None:
        keys = [self.queue, self.pairs, self.last]
        partner = await self._leave(keys=keys, args=[self.entry, sid])
        return str(partner) if partner else None

    async def partner(self, sid: str) -> str | None:
        found = await self.redis.hget(self.pairs, sid)
        return str(found) if found else None

    async def member(self, sid: str) -> Member | None:
        found = await self.redis.hget(self.members, sid)
        if not found:
            return None
        ip_key, _, country = str(found).partition("|")
        return Member(ip_key, country)

    async def forget(self, sid: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self.members, sid)
            pipe.hdel(self.last, sid)
            await pipe.execute()

    async def waiting(self) -> int:
        return int(await self.redis.zcard(self.queue))

    async def close(self) -> None:
        if self._beating is not None:
            await self.stop_beating()
            await self.redis.delete(self.alive + self.server)
        await self.redis.aclose()
        await self._pool.disconnect()  # a pool passed in is not closed by the client
