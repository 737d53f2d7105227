"""Matchmaking: who waits, who talks to whom.

Fair: the longest-waiting compatible person is matched first. Compatible: each side's country
filter (if any) accepts the other's country, their languages agree (when both chose one), and
neither just parted from the other (pressing Next never brings the same stranger straight
back). Interests are a preference: someone who shares one is matched before anyone else; a
person who named interests is matched only with someone sharing one until they have waited
``interests_wait`` seconds (``retry`` then looks again for them), after which anyone will do.
One implementation keeps the state in the process (the default); the other in Redis, where Lua
scripts make each join atomic, so with several server processes nobody is matched twice.
Nothing here is written to disk: the state is the live queue and the live pairs, gone when
people leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from dataclasses import dataclass, field, replace
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
    language: str = ""  # the language they want to talk in ("" for any)
    interests: frozenset[str] = field(default_factory=frozenset)
    since: float = 0.0  # when they joined (the clock's timestamp)

    def accepts(self, other: Seeker) -> bool:
        return (
            other.sid != self.sid
            and (not self.wants or self.wants == other.country)
            and (not other.wants or other.wants == self.country)
            and (not self.language or not other.language or self.language == other.language)
        )

    def open_to_anyone(self, now: float, interests_wait: float) -> bool:
        """Whether someone sharing no interest will do: they named none, or waited enough."""
        return not self.interests or now - self.since >= interests_wait


@dataclass(frozen=True)
class Match:
    partner: str  # the partner's sid
    shared: tuple[str, ...] = ()  # the interests both named, sorted


@dataclass(frozen=True)
class Member:
    """What the matcher keeps about a connection while it is in roulette."""

    ip_key: str
    country: str


class Matcher(Protocol):
    async def join(self, seeker: Seeker) -> Match | None:
        """The partner if matched now (both leave the queue), else None (queued)."""

    async def retry(self, sid: str) -> Match | None:
        """Look again for someone who is still waiting (their interests' wait is over): the
        partner if matched now, else None (still waiting, or no longer)."""

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
    def __init__(self, clock: Clock, interests_wait: float = 0.0) -> None:
        self.clock = clock
        self.interests_wait = interests_wait
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

    def _choose(self, seeker: Seeker, now: float) -> Match | None:
        """Someone sharing an interest, the longest waiting first; else, if the seeker is open
        to anyone, the longest waiting compatible person who is too."""
        fallback = None
        open_to_anyone = seeker.open_to_anyone(now, self.interests_wait)
        for other in itertools.islice(self._queue.values(), SCAN_LIMIT):
            if not self._compatible(seeker, other):
                continue
            shared = seeker.interests & other.interests
            if shared:
                return Match(other.sid, tuple(sorted(shared)))
            if fallback is None and open_to_anyone:
                if other.open_to_anyone(now, self.interests_wait):
                    fallback = Match(other.sid)
        return fallback

    def _pair(self, sid: str, other: str) -> None:
        self._queue.pop(sid, None)
        del self._queue[other]
        self._pairs[sid], self._pairs[other] = other, sid

    async def join(self, seeker: Seeker) -> Match | None:
        await self.leave(seeker.sid)
        self._members[seeker.sid] = Member(seeker.ip_key, seeker.country)
        now = self.clock.now().timestamp()
        seeker = replace(seeker, since=now)
        match = self._choose(seeker, now)
        if match is not None:
            self._pair(seeker.sid, match.partner)
            return match
        self._queue[seeker.sid] = seeker
        return None

    async def retry(self, sid: str) -> Match | None:
        seeker = self._queue.get(sid)
        if seeker is None:
            return None
        match = self._choose(seeker, self.clock.now().timestamp())
        if match is not None:
            self._pair(sid, match.partner)
        return match

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


# KEYS: queue (zset), pairs, last, members (hashes). ARGV, both scripts: entry key prefix, sid,
# now, interests_wait, scan limit, heartbeat key prefix; a join's also: country, wants,
# language, interests (comma-joined), member ("ip_key|country"), this server's id.
# A waiting entry whose server stopped beating (the process died without its people leaving)
# is a ghost: it is dropped from the queue instead of being matched.
_PRELUDE = """
local queue, pairs, last, members = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local prefix, sid = ARGV[1], ARGV[2]
local now, wait, limit, alive = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]

local function shared_with(mine, theirs)
  local set, out = {}, {}
  for item in string.gmatch(mine, '[^,]+') do set[item] = true end
  for item in string.gmatch(theirs, '[^,]+') do
    if set[item] then table.insert(out, item) end
  end
  table.sort(out)
  return table.concat(out, ',')
end

local function choose(country, wants, lang, interests, open_to_anyone)
  local avoid = redis.call('HGET', last, sid) or ''
  local fallback = false
  for _, other in ipairs(redis.call('ZRANGE', queue, 0, limit - 1)) do
    local o = redis.call('HMGET', prefix .. other,
      'country', 'wants', 'server', 'lang', 'interests', 'since')
    if other == sid then
      -- a retry finds itself in the queue: not a partner
    elseif not o[3] or redis.call('EXISTS', alive .. o[3]) == 0 then
      redis.call('ZREM', queue, other)
      redis.call('DEL', prefix .. other)
    elseif (wants == '' or wants == o[1]) and (o[2] == '' or o[2] == country)
        and (lang == '' or o[4] == '' or lang == o[4])
        and avoid ~= other and redis.call('HGET', last, other) ~= sid then
      local shared = shared_with(interests, o[5])
      if shared ~= '' then return {other, shared} end
      if not fallback and open_to_anyone
          and (o[5] == '' or now - tonumber(o[6]) >= wait) then
        fallback = other
      end
    end
  end
  if fallback then return {fallback, ''} end
  return false
end

local function pair(other)
  redis.call('ZREM', queue, sid, other)
  redis.call('DEL', prefix .. sid, prefix .. other)
  redis.call('HSET', pairs, sid, other, other, sid)
end
"""

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
    _PRELUDE
    + _LEAVE_BODY
    + """
local country, wants, lang, interests = ARGV[7], ARGV[8], ARGV[9], ARGV[10]
redis.call('HSET', members, sid, ARGV[11])
local found = choose(country, wants, lang, interests, interests == '' or wait <= 0)
if found then
  pair(found[1])
  return found
end
redis.call('HSET', prefix .. sid, 'country', country, 'wants', wants, 'server', ARGV[12],
  'lang', lang, 'interests', interests, 'since', ARGV[3])
redis.call('ZADD', queue, ARGV[3], sid)
return false
"""
)

_RETRY = (
    _PRELUDE
    + """
if not redis.call('ZSCORE', queue, sid) then return false end
local me = redis.call('HMGET', prefix .. sid, 'country', 'wants', 'lang', 'interests', 'since')
if not me[5] then return false end
local open_to_anyone = me[4] == '' or now - tonumber(me[5]) >= wait
local found = choose(me[1], me[2], me[3], me[4], open_to_anyone)
if found then
  pair(found[1])
  return found
end
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

    def __init__(self, url: str, prefix: str, clock: Clock, interests_wait: float = 0.0) -> None:
        self.clock = clock  # orders the queue by when each seeker joined, across processes
        self.interests_wait = interests_wait
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
        self._retry: Any = self.redis.register_script(_RETRY)

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

    def _common(self, sid: str) -> list[Any]:
        now = self.clock.now().timestamp()
        return [self.entry, sid, now, self.interests_wait, SCAN_LIMIT, self.alive]

    @staticmethod
    def _match(found: Any) -> Match | None:
        if not found:
            return None
        partner, shared = found
        return Match(str(partner), tuple(str(shared).split(",")) if shared else ())

    async def join(self, seeker: Seeker) -> Match | None:
        await self._ensure_beating()
        found = await self._join(
            keys=[self.queue, self.pairs, self.last, self.members],
            args=[
                *self._common(seeker.sid),
                seeker.country,
                seeker.wants,
                seeker.language,
                ",".join(sorted(seeker.interests)),
                f"{seeker.ip_key}|{seeker.country}",
                self.server,
            ],
        )
        return self._match(found)

    async def retry(self, sid: str) -> Match | None:
        keys = [self.queue, self.pairs, self.last, self.members]
        return self._match(await self._retry(keys=keys, args=self._common(sid)))

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
