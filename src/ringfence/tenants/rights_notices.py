"""Privacy requests proved by phone, carried out across every business, and passed on to each.

A person who proved they answer a number (``telephony.number_proof``) asks for a copy of, a
restriction of or the erasure of what the platform holds about it. ``PhoneRequests.answer``
counts the records first (``privacy.phone_subjects``), carries the request out as any rights
request (``privacy.rights``: verified, signed receipt, audited), then leaves each business whose
records it touched a ``RightsNotice`` with the legal deadline of the request (GDPR 30 days, CCPA
45, ``rights.DEADLINES``): the business answers for any copy it keeps outside the platform and
acknowledges it. The number never appears in a notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import InvalidInput, NotFound
from ringfence.privacy.core import Privacy
from ringfence.privacy.models import RightsRequest
from ringfence.privacy.phone_subjects import Holding, PhoneSubjects, by_tenant
from ringfence.privacy.policy import current_stamp
from ringfence.privacy.rights import KINDS
from ringfence.store.database import Database
from ringfence.tenants.models import RightsNotice
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

PHONE_KINDS = (
    "access",
    "restrict",
    "lift_restriction",
    "erase",
)  # what a number's owner may ask for here
VERIFIED_VIA = "phone_call"


@dataclass(frozen=True)
class Answered:
    request_id: str
    kind: str
    answer_by: dt.datetime
    answer: dict[str, Any]  # the export (access) and the signed receipt
    tenants: list[str]  # the businesses told


class PhoneRequests:
    def __init__(self, privacy: Privacy) -> None:
        self.privacy = privacy
        self.subjects = PhoneSubjects(
            privacy.inventory, privacy.settings.signing_key(), privacy.settings.ensure_data_dir()
        )

    async def holdings(self, subject_ref: str) -> list[Holding]:
        async with self.privacy.db.session() as session:
            return await self.subjects.holdings(session, subject_ref)

    async def answer(self, kind: str, subject_ref: str) -> Answered:
        if kind not in PHONE_KINDS:
            raise InvalidInput(f"unknown request {kind!r}; accepted: {', '.join(PHONE_KINDS)}")
        privacy = self.privacy
        async with privacy.db.session() as session:
            found = await self.subjects.holdings(session, subject_ref)
            stamp = await current_stamp(session, privacy.inventory, privacy.clock)
            rights = privacy.rights(stamp.version)
            submitted = await rights.submit(session, kind, subject_ref, verified_via=VERIFIED_VIA)
            request = submitted.request
            answer = await rights.fulfil(session, request.id)
            tenants = by_tenant(found)
            for tenant_id, held in sorted(tenants.items()):
                session.add(
                    RightsNotice(
                        tenant_id=tenant_id,
                        request_id=request.id,
                        kind=kind,
                        affected=[
                            {"category": h.category, "title": h.title, "records": h.records}
                            for h in held
                        ],
                        received_at=request.received_at,
                        answer_by=request.answer_by,
                    )
                )
            privacy.audit.record(
                session,
                actor_kind="system",
                actor_id="rights",
                action=f"rights.{kind}.passed_on",
                subject_ref=subject_ref,
                request=request.id,
                tenants=len(tenants),
            )
        return Answered(request.id, kind, request.answer_by, answer, sorted(tenants))


@dataclass(frozen=True)
class PassedOn:
    """One phone-proved request as the operator's console lists it."""

    request_id: str
    kind: str
    received_at: dt.datetime
    answer_by: dt.datetime
    tenants: int
    acknowledged: int


async def passed_on(db: Database, since: dt.datetime) -> list[PassedOn]:
    """The phone-proved requests received since ``since`` and how many businesses were told and
    have acknowledged (the platform's own view, across businesses)."""
    async with db.session() as session:
        requests = (
            await session.scalars(
                select(RightsRequest)
                .where(
                    RightsRequest.verified_via == VERIFIED_VIA,
                    RightsRequest.received_at >= since,
                )
                .order_by(RightsRequest.received_at.desc())
            )
        ).all()
        counts = {
            str(r): (int(n), int(a or 0))
            for r, n, a in (
                await session.execute(
                    select(
                        RightsNotice.request_id,
                        func.count(),
                        func.count(RightsNotice.acknowledged_at),
                    )
                    .where(RightsNotice.request_id.in_([r.id for r in requests]))
                    .group_by(RightsNotice.request_id)
                )
            )
        }
    return [
        PassedOn(r.id, r.kind, r.received_at, r.answer_by, *counts.get(r.id, (0, 0)))
        for r in requests
    ]


class Notices:
    """A business's view of the requests passed on to it."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.tenants = Tenants(db, clock)

    async def of(self, who: Account, tenant_id: str) -> Sequence[dict[str, Any]]:
        await self.tenants.role(who, tenant_id, "calls.read")
        now = self.clock.now()
        async with tenant_session(self.db, tenant_id) as session:
            rows = (
                await session.scalars(
                    select(RightsNotice).order_by(
                        RightsNotice.acknowledged_at.is_not(None), RightsNotice.answer_by
                    )
                )
            ).all()
        return [
            {
                "id": n.id,
                "request": n.request_id,
                "kind": n.kind,
                "what": KINDS.get(n.kind, n.kind),
                "affected": n.affected,
                "received_at": n.received_at.isoformat(timespec="seconds"),
                "answer_by": n.answer_by.isoformat(timespec="seconds"),
                "days_left": (n.answer_by - now).days,
                "acknowledged_at": n.acknowledged_at.isoformat(timespec="seconds")
                if n.acknowledged_at
                else None,
            }
            for n in rows
        ]

    async def acknowledge(self, who: Account, tenant_id: str, notice_id: str) -> None:
        await self.tenants.role(who, tenant_id, "members.manage")
        async with tenant_session(self.db, tenant_id) as session:
            notice = await session.scalar(select(RightsNotice).where(RightsNotice.id == notice_id))
            if notice is None:
                raise NotFound("no request of this business has this id")
            if notice.acknowledged_at is None:
                notice.acknowledged_at = self.clock.now()
