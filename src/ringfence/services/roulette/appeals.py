"""Appeals: a banned person says why the ban is wrong; the operator upholds or lifts it.

Only an address banned now may appeal, one appeal waiting at a time, and every well-formed
attempt counts against ``appeals_per_day`` per address (in the store, so every process sees
it) before the ban is looked at: a flood of forms meets a 429, whoever sends it. The appeal is
kept with a keyed hash of the address, like the ban, for the inventory's retention; the person
sees its answer on the appeal page.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.abuse.limits import Limit, RateLimiter
from ringfence.clock import Clock
from ringfence.errors import Conflict, InvalidInput, NotFound
from ringfence.services.roulette.bans import Bans, Reported
from ringfence.services.roulette.models import Appeal
from ringfence.store.database import Database

MIN_CHARS, MAX_CHARS = 10, 2000
DECISIONS = {"upheld": "the ban stands", "lifted": "the ban was lifted"}
DAY = 86_400


@dataclass(frozen=True)
class ToReview:
    """A waiting appeal with what the operator needs to judge it: the reports behind the ban."""

    appeal: Appeal
    reported: Reported | None


def clean_text(value: str) -> str:
    text = "".join(c for c in value if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()
    if len(text) < MIN_CHARS:
        raise InvalidInput(f"say what happened, in {MIN_CHARS} characters or more")
    if len(text) > MAX_CHARS:
        raise InvalidInput(f"an appeal is at most {MAX_CHARS} characters")
    return text


class Appeals:
    def __init__(self, db: Database, bans: Bans, clock: Clock, per_day: int) -> None:
        self.db = db
        self.bans = bans
        self.clock = clock
        self.per_day = per_day
        self.limiter = RateLimiter(clock)

    async def latest(self, ip_key: str) -> Appeal | None:
        """The address's most recent appeal, to show the person where it stands."""
        async with self.db.session() as session:
            found: Appeal | None = await session.scalar(
                select(Appeal)
                .where(Appeal.ip_key == ip_key)
                .order_by(Appeal.created_at.desc())
                .limit(1)
            )
            return found

    async def send(self, ip_key: str, text: str) -> Appeal:
        limit = Limit(
            "roulette.appeal", ip_key, self.per_day, DAY, "too many appeals from your address"
        )
        clean = clean_text(text)
        async with self.db.session() as session:
            await self.limiter.check(session, [limit])
            self.limiter.hit(session, [limit])
        ban = await self.bans.in_force(ip_key)
        if ban is None:
            raise Conflict("your address is not banned from roulette")
        async with self.db.session() as session:
            waiting = await session.scalar(
                select(Appeal.id).where(Appeal.ip_key == ip_key, Appeal.decision.is_(None))
            )
            if waiting is not None:
                raise Conflict(
                    "your appeal is waiting for the operator: you will see the answer here"
                )
            appeal = Appeal(ip_key=ip_key, created_at=self.clock.now(), text=clean)
            session.add(appeal)
        return appeal

    async def to_review(self, limit: int = 100) -> list[ToReview]:
        """The appeals waiting for a decision, oldest first, each with its address's reports."""
        async with self.db.session() as session:
            appeals = (
                await session.scalars(
                    select(Appeal)
                    .where(Appeal.decision.is_(None))
                    .order_by(Appeal.created_at)
                    .limit(limit)
                )
            ).all()
        reported = {r.ip_key: r for r in await self.bans.reported()}
        return [ToReview(a, reported.get(a.ip_key)) for a in appeals]

    async def decide(self, session: AsyncSession, appeal_id: str, decision: str) -> Appeal:
        """Uphold the ban, or lift it (in the caller's transaction)."""
        if decision not in DECISIONS:
            raise InvalidInput("decide: uphold or lift")
        appeal = await session.get(Appeal, appeal_id)
        if appeal is None:
            raise NotFound("no such appeal")
        if appeal.decision is not None:
            raise Conflict(f"that appeal was answered already: {DECISIONS[appeal.decision]}")
        appeal.decision = decision
        appeal.decided_at = self.clock.now()
        if decision == "lifted":
            await self.bans.lift(session, appeal.ip_key)
        return appeal
