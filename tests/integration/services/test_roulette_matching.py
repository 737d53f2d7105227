"""Matchmaking rules, in memory and in Redis: fair, filtered both ways (country and language),
shared interests first and anyone after the wait, no instant re-match, and atomic under
concurrent joins."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest

from ringfence.clock import SystemClock
from ringfence.services.roulette.matching import (
    Match,
    Matcher,
    MemoryMatcher,
    RedisMatcher,
    Seeker,
)
from ringfence.testing import FakeClock

INTERESTS_WAIT = 10.0


class Ticking(FakeClock):
    """A fake clock that moves a millisecond each time it is read, so people who join one
    after the other are queued in that order (Redis orders the queue by the join's time)."""

    def now(self) -> dt.datetime:
        self.advance(seconds=0.001)
        return super().now()


@pytest.fixture
def clock() -> FakeClock:
    return Ticking(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))


@pytest.fixture(params=["memory", "redis"])
async def matcher(request: pytest.FixtureRequest, clock: FakeClock) -> AsyncIterator[Matcher]:
    if request.param == "memory":
        yield MemoryMatcher(clock, INTERESTS_WAIT)
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"rf-test-{uuid.uuid4().hex[:10]}"
    redis_matcher = RedisMatcher(url, prefix, clock, INTERESTS_WAIT)
    try:
        yield redis_matcher
    finally:
        keys = await redis_matcher.redis.keys(redis_matcher.queue.rsplit(":", 1)[0] + ":*")
        if keys:
            await redis_matcher.redis.delete(*keys)
        await redis_matcher.close()


def seeker(
    sid: str, country: str = "GB", wants: str = "", language: str = "", *interests: str
) -> Seeker:
    return Seeker(sid, country, wants, f"h:{sid}", language, frozenset(interests))


def partner(match: Match | None) -> str | None:
    return match.partner if match is not None else None


async def test_longest_waiting_first_and_filters_both_ways(matcher: Matcher) -> None:
    assert await matcher.join(seeker("a", "GB", wants="FR")) is None
    assert await matcher.join(seeker("b", "DE")) is None  # a does not want DE
    assert await matcher.join(seeker("c", "FR", wants="US")) is None  # c does not want GB or DE
    assert partner(await matcher.join(seeker("d", "FR"))) == "a"  # a waited longest and wants FR
    assert await matcher.partner("a") == "d" and await matcher.partner("d") == "a"
    assert partner(await matcher.join(seeker("e", "US"))) == "b"  # b, before c
    assert await matcher.waiting() == 1
    member = await matcher.member("e")
    assert member is not None and member.country == "US" and member.ip_key == "h:e"


async def test_the_stranger_just_left_is_not_matched_again(matcher: Matcher) -> None:
    await matcher.join(seeker("a"))
    assert partner(await matcher.join(seeker("b"))) == "a"
    assert await matcher.leave("a") == "b"  # a pressed Next
    assert await matcher.partner("b") is None
    assert await matcher.join(seeker("a")) is None
    assert await matcher.join(seeker("b")) is None  # not a again
    assert partner(await matcher.join(seeker("c"))) == "a"
    assert partner(await matcher.join(seeker("d"))) == "b"
    await matcher.forget("a")
    assert await matcher.member("a") is None


async def test_concurrent_joins_never_match_anyone_twice(matcher: Matcher) -> None:
    sids = [f"s{i}" for i in range(200)]
    matches = await asyncio.gather(*(matcher.join(seeker(s)) for s in sids))
    pairs = {}
    for sid, match in zip(sids, matches, strict=True):
        if match is not None:
            pairs[sid] = match.partner
    everyone = list(pairs) + list(pairs.values())
    assert len(everyone) == len(set(everyone)) == 200  # each person in exactly one pair
    for sid, other in pairs.items():
        assert await matcher.partner(sid) == other and await matcher.partner(other) == sid
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
        assert partner(await alive.join(seeker("b"))) == "a"
    finally:
        keys = await alive.redis.keys(prefix + ":*")
        if keys:
            await alive.redis.delete(*keys)
        await alive.close()
        await dead.close()


async def test_languages_filter_both_ways(matcher: Matcher) -> None:
    assert await matcher.join(seeker("es", "ES", "", "es")) is None
    assert await matcher.join(seeker("fr", "FR", "", "fr")) is None  # not with a Spanish speaker
    assert partner(await matcher.join(seeker("any", "DE"))) == "es"  # no language: either
    assert partner(await matcher.join(seeker("fr2", "BE", "", "fr"))) == "fr"


async def test_shared_interests_first_then_anyone_after_the_wait(
    matcher: Matcher, clock: FakeClock
) -> None:
    assert await matcher.join(seeker("plain", "GB")) is None  # named no interest
    assert await matcher.join(seeker("chess", "GB", "", "", "chess", "music")) is None
    # A newcomer sharing "music" skips the longer-waiting person who named nothing.
    found = await matcher.join(seeker("music", "GB", "", "", "music", "hiking"))
    assert found == Match("chess", ("music",))
    # Someone with interests nobody shares waits, and is not matched with "plain" yet...
    assert await matcher.join(seeker("knit", "GB", "", "", "knitting")) is None
    assert await matcher.retry("knit") is None
    assert await matcher.waiting() == 2
    # ...until they have waited long enough: then anyone compatible will do.
    clock.advance(seconds=INTERESTS_WAIT)
    assert await matcher.retry("knit") == Match("plain", ())
    assert await matcher.partner("plain") == "knit"
    assert await matcher.retry("knit") is None  # no longer waiting
    assert await matcher.waiting() == 0


async def test_after_the_wait_a_newcomer_without_interests_takes_them(
    matcher: Matcher, clock: FakeClock
) -> None:
    assert await matcher.join(seeker("knit", "GB", "", "", "knitting")) is None
    clock.advance(seconds=1)
    assert await matcher.join(seeker("early", "GB")) is None  # too soon for knit
    clock.advance(seconds=INTERESTS_WAIT + 1)
    # knit has waited longest and is open to anyone now.
    assert partner(await matcher.join(seeker("late", "GB"))) == "knit"


async def test_retry_keeps_the_rule_of_next(matcher: Matcher, clock: FakeClock) -> None:
    await matcher.join(seeker("a", "GB", "", "", "chess"))
    assert partner(await matcher.join(seeker("b", "GB", "", "", "chess"))) == "a"
    await matcher.leave("a")  # a pressed Next
    assert await matcher.join(seeker("a", "GB", "", "", "chess")) is None
    assert await matcher.join(seeker("b", "GB", "", "", "chess")) is None  # not each other
    clock.advance(seconds=INTERESTS_WAIT)
    assert await matcher.retry("a") is None and await matcher.retry("b") is None
