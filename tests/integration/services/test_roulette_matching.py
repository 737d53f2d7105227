"""Matchmaking rules, in memory and in Redis: fair, filtered both ways, no instant re-match, and
atomic under concurrent joins."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from ringfence.clock import SystemClock
from ringfence.services.roulette.matching import Matcher, MemoryMatcher, RedisMatcher, Seeker


@pytest.fixture(params=["memory", "redis"])
async def matcher(request: pytest.FixtureRequest) -> AsyncIterator[Matcher]:
    if request.param == "memory":
        yield MemoryMatcher()
        return
    url = request.getfixturevalue("redis_url")
    redis_matcher = RedisMatcher(url, f"rf-test-{uuid.uuid4().hex[:10]}", SystemClock())
    try:
        yield redis_matcher
    finally:
        keys = await redis_matcher.redis.keys(redis_matcher.queue.rsplit(":", 1)[0] + ":*")
        if keys:
            await redis_matcher.redis.delete(*keys)
        await redis_matcher.close()


def seeker(sid: str, country: str = "GB", wants: str = "") -> Seeker:
    return Seeker(sid, country, wants, f"h:{sid}")


async def test_longest_waiting_first_and_filters_both_ways(matcher: Matcher) -> None:
    assert await matcher.join(seeker("a", "GB", wants="FR")) is None
    assert await matcher.join(seeker("b", "DE")) is None  # a does not want DE
    assert await matcher.join(seeker("c", "FR", wants="US")) is None  # c does not want GB or DE
    assert await matcher.join(seeker("d", "FR")) == "a"  # a waited longest and wants FR
    assert await matcher.partner("a") == "d" and await matcher.partner("d") == "a"
    assert await matcher.join(seeker("e", "US")) == "b"  # b, before c
    assert await matcher.waiting() == 1
    member = await matcher.member("e")
    assert member is not None and member.country == "US" and member.ip_key == "h:e"


async def test_the_stranger_just_left_is_not_matched_again(matcher: Matcher) -> None:
    await matcher.join(seeker("a"))
    assert await matcher.join(seeker("b")) == "a"
    assert await matcher.leave("a") == "b"  # a pressed Next
    assert await matcher.partner("b") is None
    assert await matcher.join(seeker("a")) is None
    assert await matcher.join(seeker("b")) is None  # not a again
    assert await matcher.join(seeker("c")) == "a"
    assert await matcher.join(seeker("d")) == "b"
    await matcher.forget("a")
    assert await matcher.member("a") is None


async def test_concurrent_joins_never_match_anyone_twice(matcher: Matcher) -> None:
    sids = [f"s{i}" for i in range(200)]
    partners = await asyncio.gather(*(matcher.join(seeker(s)) for s in sids))
    pairs = {}
    for sid, partner in zip(sids, partners, strict=True):
        if partner is not None:
            pairs[sid] = partner
    everyone = list(pairs) + list(pairs.values())
    assert len(everyone) == len(set(everyone)) == 200  # each person in exactly one pair
    for sid, partner in pairs.items():
        assert await matcher.partner(sid) == partner and await matcher.partner(partner) == sid
    assert await matcher.waiting() == 0


async def test_people_left_waiting_by_a_dead_server_are_not_matched(redis_url: str) -> None:
    """A process that died without its people leaving stops beating; its queue entries are
    dropped at the next join instead of pairing someone with nobody."""
    prefix = f"rf-test-{uuid.uuid4().hex[:10]}"
    dead, alive = (
        RedisMatcher(redis_url, prefix, SystemClock()),
        RedisMatcher(redis_url, prefix, SystemClock()),
    )
    try:
        assert await dead.join(seeker("ghost")) is None
        await dead.stop_beating()  # the process is gone: no more heartbeats...
        await dead.redis.delete(dead.alive + dead.server)  # ...and its last one has expired
        assert await alive.join(seeker("a")) is None  # not matched with the ghost
        assert await alive.waiting() == 1
        assert await alive.join(seeker("b")) == "a"
    finally:
        keys = await alive.redis.keys(prefix + ":*")
        if keys:
            await alive.redis.delete(*keys)
        await alive.close()
        await dead.close()
