"""The abuse controls on both engines: captcha solutions accepted once, limits that hold under
concurrency, and their counters swept after the inventory's window."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ringfence.abuse.captcha import Captcha
from ringfence.abuse.limits import Limit, RateLimiter
from ringfence.abuse.models import RateHit, SpentCaptcha
from ringfence.errors import Forbidden, InvalidInput, RateLimited
from ringfence.privacy.categories import build_inventory
from ringfence.privacy.retention import Sweeper
from ringfence.settings import CaptchaSettings
from ringfence.store import Database
from ringfence.testing import FakeClock
from tests.conftest import ENGINES
from tests.support.captcha import solve

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def _captcha(clock: FakeClock) -> Captcha:
    return Captcha(CaptchaSettings(max_number=1000, expires=120), b"k" * 32, clock)


@ENGINES
async def test_a_solution_is_accepted_once(db: Database) -> None:
    clock = FakeClock(NOW)
    captcha = _captcha(clock)
    payload = solve(captcha.challenge())
    async with db.session() as session:
        await captcha.redeem(session, payload)
    with pytest.raises(Forbidden, match="already used"):
        async with db.session() as session:
            await captcha.redeem(session, payload)
    # The refused replay did not disturb what was stored.
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(SpentCaptcha)) == 1


@ENGINES
async def test_wrong_expired_and_unreadable_solutions_are_refused(db: Database) -> None:
    clock = FakeClock(NOW)
    captcha = _captcha(clock)
    challenge = captcha.challenge()
    other = _captcha(clock)
    other.key = "another server's key"
    async with db.session() as session:
        with pytest.raises(InvalidInput, match="solve the captcha"):
            await captcha.redeem(session, "")
        with pytest.raises(InvalidInput, match="not readable"):
            await captcha.redeem(session, "bm90IGpzb24=")
        with pytest.raises(Forbidden, match="wrong"):
            await captcha.redeem(session, solve(other.challenge()))
        payload = solve(challenge)
        clock.advance(seconds=121)
        with pytest.raises(Forbidden, match="expired"):
            await captcha.redeem(session, payload)
        clock.advance(seconds=-121)
        await captcha.redeem(session, payload)
    clock.advance(minutes=5)
    async with db.session() as session:
        assert await captcha.forget_expired(session) == 1


@ENGINES
async def test_concurrent_hits_never_pass_the_limit(db: Database) -> None:
    """Twenty requests race for a limit of five: exactly five get through."""
    limiter = RateLimiter(FakeClock(NOW))
    limit = [Limit("test.race", "h:abc", 5, 3600, "too many")]

    async def attempt() -> bool:
        try:
            async with db.session() as session:
                await limiter.check(session, limit)
                limiter.hit(session, limit)
            return True
        except RateLimited:
            return False

    results = await asyncio.gather(*(attempt() for _ in range(20)))
    assert sum(results) == 5
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(RateHit)) == 5


@ENGINES
async def test_the_refusal_says_how_long_to_wait_and_counters_are_swept(
    db: Database, tmp_path: Path
) -> None:
    clock = FakeClock(NOW)
    limiter = RateLimiter(clock)
    limit = [Limit("test.wait", "h:abc", 2, 3600, "this number has been rung 2 times")]
    for _ in range(2):
        async with db.session() as session:
            await limiter.check(session, limit)
            limiter.hit(session, limit)
        clock.advance(minutes=10)
    with pytest.raises(RateLimited, match=r"rung 2 times: try again in 40 minutes"):
        async with db.session() as session:
            await limiter.check(session, limit)
    clock.advance(minutes=41)
    async with db.session() as session:
        await limiter.check(session, limit)  # the first hit left the window
    clock.advance(days=2)
    report = await Sweeper(db, build_inventory(), clock, data_dir=tmp_path, batch=100).sweep()
    assert report.counts["abuse_rate_counter"] == 2
