"""Rate limits over a sliding window, counted in the store so every process sees the same counts.

A ``Limit`` allows ``count`` actions of one key per ``window`` seconds. ``check`` refuses, with
the limit's own message and how long to wait, when any of the given limits is reached; ``hit``
counts an action against each. Keys are keyed hashes (``subjects.keyed_ref``): the table never
holds a number, an IP address or a visitor id. ``store.locks`` makes check-then-hit atomic
across processes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.abuse.models import RateHit
from ringfence.clock import Clock
from ringfence.errors import RateLimited
from ringfence.store.locks import lock_names


@dataclass(frozen=True)
class Limit:
    bucket: str  # what is counted, e.g. "ring.number"
    key: str  # keyed_ref of whose action it is
    count: int
    window: int  # seconds
    message: str  # why it is refused, in the visitor's terms


def wait_text(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return f"{seconds} seconds"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def check(self, session: AsyncSession, limits: Sequence[Limit]) -> None:
        now = self.clock.now()
        await lock_names(session, [f"{limit.bucket}:{limit.key}" for limit in limits])
        for limit in limits:
            since = now - dt.timedelta(seconds=limit.window)
            used, oldest = (
                await session.execute(
                    select(func.count(), func.min(RateHit.at)).where(
                        RateHit.bucket == limit.bucket,
                        RateHit.key == limit.key,
                        RateHit.at > since,
                    )
                )
            ).one()
            if used >= limit.count:
                free_at = oldest + dt.timedelta(seconds=limit.window)
                wait = (free_at - now).total_seconds()
                raise RateLimited(f"{limit.message}: try again in {wait_text(wait)}")

    def hit(self, session: AsyncSession, limits: Sequence[Limit]) -> None:
        now = self.clock.now()
        for limit in limits:
            session.add(RateHit(bucket=limit.bucket, key=limit.key, at=now))

    async def forget(self, session: AsyncSession, limits: Sequence[Limit]) -> None:
        """Clear what was counted against each limit's key (a sign-in that succeeded)."""
        for limit in limits:
            await session.execute(
                delete(RateHit).where(RateHit.bucket == limit.bucket, RateHit.key == limit.key)
            )
