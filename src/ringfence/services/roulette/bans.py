"""Bans of reported IP addresses, for as long as the inventory keeps the ban record.

Every connection and every join asks whether its address is banned; the answers are cached in
the process for ``CACHE_SECONDS`` (the store is asked again after that), which took the store
off the hot path of matching. A ban applies at once in the process that issued it, and the
reported connection is closed at once wherever it is; another process refuses new connections
from that address within ``CACHE_SECONDS``. The same holds for the operator lifting a ban.

Each report is one row, with a keyed hash of the reporting address, so the operator's console
(``admin``) can say how many reports an address drew and from how many different addresses:
a ban that many people asked for is not the same as one person reporting everyone.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import distinct, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import InvalidInput
from ringfence.privacy.inventory import Inventory
from ringfence.services.roulette.models import BAN, Ban
from ringfence.store.database import Database

CACHE_SECONDS = 10.0
CACHE_MAX = 100_000
# Why a person may be reported: the report names one (the page asks before it sends).
REASONS = {
    "sexual": "Nudity or sexual content",
    "harassment": "Harassment, threats or hate",
    "minor": "They seem to be under 18",
    "spam": "Spam, scams or advertising",
    "other": "Something else against the rules",
}


def ban_length(inventory: Inventory) -> dt.timedelta:
    """How long a reported address is kept out: as long as the inventory keeps a ban."""
    return dt.timedelta(days=inventory[BAN].retention.days or 30)


@dataclass(frozen=True)
class BanInForce:
    """What a banned person is told: until when, and why (the reasons they were reported for)."""

    until: dt.datetime
    reasons: tuple[str, ...]  # codes of REASONS, most reported first

    @property
    def why(self) -> str:
        return "; ".join(REASONS.get(r, r) for r in self.reasons)


def _by_count(reasons: list[str | None]) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for reason in reasons:
        if reason:
            counts[reason] = counts.get(reason, 0) + 1
    return tuple(sorted(counts, key=lambda r: (-counts[r], r)))


@dataclass(frozen=True)
class Reported:
    """A reported address, as the operator sees it: never who, nor what was said."""

    ip_key: str
    reports: int
    reporters: int  # different reporting addresses
    last: dt.datetime
    banned_until: dt.datetime | None
    lifted: bool
    reasons: tuple[tuple[str, int], ...] = ()  # (words of the reason, how many reports) each


class Bans:
    def __init__(self, db: Database, inventory: Inventory, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.length = ban_length(inventory)
        self._cache: dict[str, tuple[float, BanInForce | None]] = {}

    async def in_force(self, ip_key: str) -> BanInForce | None:
        """The address's ban, if it is banned: its end and the reasons of the reports."""
        cached = self._cache.get(ip_key)
        if cached is not None and cached[0] > time.monotonic():
            found = cached[1]
        else:
            async with self.db.session() as session:
                found = await self._in_force(session, ip_key)
            self._remember(ip_key, found)
        return found if found is not None and found.until > self.clock.now() else None

    async def _in_force(self, session: AsyncSession, ip_key: str) -> BanInForce | None:
        rows = (
            await session.execute(
                select(Ban.until, Ban.reason).where(
                    Ban.ip_key == ip_key, Ban.until > self.clock.now()
                )
            )
        ).all()
        if not rows:
            return None
        return BanInForce(max(r.until for r in rows), _by_count([r.reason for r in rows]))

    async def ban(self, ip_key: str, reason: str, reporter_key: str | None = None) -> BanInForce:
        """Ban a reported address for the ban's length, keeping why it was reported and a keyed
        hash of who reported it (to count different reporters, never to name them)."""
        if reason not in REASONS:
            raise InvalidInput("say why you report them: " + ", ".join(REASONS))
        now = self.clock.now()
        until = now + self.length
        async with self.db.session() as session:
            session.add(
                Ban(
                    ip_key=ip_key,
                    created_at=now,
                    until=until,
                    reason=reason,
                    reporter_key=reporter_key,
                )
            )
            await session.flush()
            ban = await self._in_force(session, ip_key)
        assert ban is not None  # just written
        self._remember(ip_key, ban)
        return ban

    async def lift(self, session: AsyncSession, ip_key: str) -> int:
        """End the address's bans now (in the caller's transaction); how many were in force."""
        now = self.clock.now()
        lifted = await session.execute(
            update(Ban)
            .where(Ban.ip_key == ip_key, Ban.until > now)
            .values(until=now, lifted_at=now)
        )
        self._cache.pop(ip_key, None)
        return int(lifted.rowcount or 0)  # type: ignore[attr-defined]

    async def reported(self, limit: int = 200) -> list[Reported]:
        """Every reported address the store still holds, latest report first."""
        now = self.clock.now()
        rows = await self._grouped(limit)
        reasons = await self._reasons([row[0] for row in rows])
        return [
            Reported(
                ip_key=key,
                reports=int(reports),
                reporters=int(reporters),
                last=last,
                banned_until=until if until > now else None,
                lifted=lifted is not None,
                reasons=reasons.get(key, ()),
            )
            for key, reports, reporters, last, until, lifted in rows
        ]

    async def _reasons(self, keys: list[str]) -> dict[str, tuple[tuple[str, int], ...]]:
        """Per address, each reason in words with how many reports gave it, most first."""
        if not keys:
            return {}
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(Ban.ip_key, Ban.reason, func.count())
                    .where(Ban.ip_key.in_(keys))
                    .group_by(Ban.ip_key, Ban.reason)
                )
            ).all()
        found: dict[str, list[tuple[str, int]]] = {}
        for key, reason, count in rows:
            words = REASONS.get(reason, reason) if reason else "(no reason given)"
            found.setdefault(key, []).append((words, int(count)))
        return {k: tuple(sorted(v, key=lambda r: (-r[1], r[0]))) for k, v in found.items()}

    async def _grouped(self, limit: int) -> list[tuple[Any, ...]]:
        async with self.db.session() as session:
            result = await session.execute(
                select(
                    Ban.ip_key,
                    func.count(),
                    func.count(distinct(Ban.reporter_key)),
                    func.max(Ban.created_at),
                    func.max(Ban.until),
                    func.max(Ban.lifted_at),
                )
                .group_by(Ban.ip_key)
                .order_by(func.max(Ban.created_at).desc())
                .limit(limit)
            )
            return [tuple(row) for row in result.all()]

    def _remember(self, ip_key: str, ban: BanInForce | None) -> None:
        if len(self._cache) >= CACHE_MAX:
            now = time.monotonic()
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
        self._cache[ip_key] = (time.monotonic() + CACHE_SECONDS, ban)
