"""The register of personal-data breaches: what happened, when it was found, which categories
of the inventory and how many people it touched, and whether the supervisory authority and the
people affected were told (GDPR art. 33(5) asks for every breach to be documented, notified or
not; art. 33(1) gives 72 hours from finding it to tell the authority).

The operator records one with ``ringfence breach record`` and marks notifications with
``ringfence breach notified``; each step is audited; the console lists them with the deadline.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import InvalidInput, NotFound
from ringfence.privacy.audit import Audit
from ringfence.privacy.inventory import Inventory
from ringfence.privacy.models import Breach

AUTHORITY_DEADLINE = dt.timedelta(hours=72)
MAX_WHAT = 4000


def authority_due(breach: Breach) -> dt.datetime:
    """When the supervisory authority must have been told (72 hours after it was found)."""
    return breach.found_at + AUTHORITY_DEADLINE


class Breaches:
    def __init__(self, inventory: Inventory, clock: Clock) -> None:
        self.inventory = inventory
        self.clock = clock
        self.audit = Audit(clock)

    async def record(
        self,
        session: AsyncSession,
        *,
        what: str,
        found_at: dt.datetime,
        categories: list[str],
        subjects_affected: int,
        recorded_by: str,
        authority_notified_at: dt.datetime | None = None,
        subjects_notified_at: dt.datetime | None = None,
    ) -> Breach:
        now = self.clock.now()
        what = what.strip()
        if not what:
            raise InvalidInput("say what happened (--what)")
        if len(what) > MAX_WHAT:
            raise InvalidInput(f"keep what happened under {MAX_WHAT} characters")
        if found_at > now:
            raise InvalidInput("the breach cannot be found in the future (--found)")
        unknown = sorted(set(categories) - {c.name for c in self.inventory})
        if unknown:
            raise InvalidInput(
                f"unknown category {unknown[0]!r}; `ringfence policy --json` lists them"
            )
        if not categories:
            raise InvalidInput("name the categories of data it touched (--categories)")
        if subjects_affected < 0:
            raise InvalidInput("the number of people affected cannot be negative")
        for moment in (authority_notified_at, subjects_notified_at):
            if moment is not None and not found_at <= moment <= now:
                raise InvalidInput("a notification falls between finding the breach and now")
        breach = Breach(
            what=what,
            found_at=found_at,
            categories=sorted(set(categories)),
            subjects_affected=subjects_affected,
            authority_notified_at=authority_notified_at,
            subjects_notified_at=subjects_notified_at,
            recorded_at=now,
            recorded_by=recorded_by,
        )
        session.add(breach)
        await session.flush()
        self.audit.record(
            session,
            actor_kind="operator",
            actor_id=recorded_by,
            action="breach.recorded",
            breach=breach.id,
            categories=breach.categories,
            subjects=subjects_affected,
        )
        return breach

    async def notified(
        self,
        session: AsyncSession,
        breach_id: str,
        *,
        by: str,
        authority: dt.datetime | None = None,
        subjects: dt.datetime | None = None,
    ) -> Breach:
        """Mark when the authority and/or the people affected were told."""
        breach = await session.get(Breach, breach_id[:32])
        if breach is None:
            raise NotFound(f"no breach {breach_id!r}; `ringfence breach list` shows them")
        if authority is None and subjects is None:
            raise InvalidInput("say who was told: --authority and/or --subjects")
        now = self.clock.now()
        for moment in (authority, subjects):
            if moment is not None and not breach.found_at <= moment <= now:
                raise InvalidInput("a notification falls between finding the breach and now")
        if authority is not None:
            breach.authority_notified_at = authority
        if subjects is not None:
            breach.subjects_notified_at = subjects
        self.audit.record(
            session,
            actor_kind="operator",
            actor_id=by,
            action="breach.notified",
            breach=breach.id,
            authority=authority is not None,
            subjects=subjects is not None,
        )
        return breach

    async def all(self, session: AsyncSession) -> list[Breach]:
        """Every recorded breach, the latest found first."""
        rows = await session.scalars(select(Breach).order_by(Breach.found_at.desc()))
        return list(rows.all())
