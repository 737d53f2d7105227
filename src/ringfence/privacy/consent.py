"""Consent records: who (an anonymous id) agreed to or declined what, when, how, under which
policy version. The current choice is the newest record per purpose; withdrawing is one record.

``SENSITIVE_USES`` are recorded the same way, the other way round: a use of sensitive personal
information beyond what the person asked for, which goes on until they limit it (CPRA, Cal. Civ.
Code 1798.121: "Limit the use of my sensitive personal information"). A limit is a record with
``granted=False``, for an anonymous id, an account or a phone number (``subjects.phone_ref``);
like an opt-out it needs no proof of identity, since it only ever narrows what is done.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import InvalidInput
from ringfence.privacy.models import ConsentRecord

# Purposes a visitor can consent to. Strictly necessary cookies (the anonymous id, the consent
# choice itself, abuse limits) need no consent and are not listed.
PURPOSES = {
    "preferences": "Remember your choices on this device (for example your country).",
    "sale_sharing": "Sell or share personal data with third parties (ringfence never does; "
    "recorded so a Global Privacy Control opt-out is on file).",
}
SENSITIVE_USE = "sensitive_use"
SENSITIVE_USES = {
    SENSITIVE_USE: "Use recordings of your calls and your voice beyond the call itself: a "
    "business keeping the recording of your call with its AI agent, or a synthetic voice made "
    "and spoken from yours. Limit it and your calls are not recorded and your voice is not used.",
}
# What an account holder declares or accepts at sign-up, recorded the same way.
DECLARATIONS = {
    "adult": "You confirmed that you are 18 or over.",
    "terms": "You accepted the terms of service.",
}
METHODS = ("banner", "manage", "gpc", "rights_request", "api", "signup")


class Consents:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def record(
        self,
        session: AsyncSession,
        subject_ref: str,
        choices: dict[str, bool],
        *,
        method: str,
        service: str,
        policy_version: str,
    ) -> list[ConsentRecord]:
        known = {**PURPOSES, **SENSITIVE_USES, **DECLARATIONS}
        unknown = set(choices) - set(known)
        if unknown:
            raise InvalidInput(
                f"unknown consent purpose {sorted(unknown)[0]!r}; accepted: {', '.join(known)}"
            )
        if method not in METHODS:
            raise InvalidInput(f"unknown consent method {method!r}")
        now = self.clock.now()
        records = [
            ConsentRecord(
                subject_ref=subject_ref,
                purpose=purpose,
                granted=granted,
                method=method,
                service=service,
                policy_version=policy_version,
                at=now,
            )
            for purpose, granted in sorted(choices.items())
        ]
        session.add_all(records)
        return records

    async def current(self, session: AsyncSession, subject_ref: str) -> dict[str, ConsentRecord]:
        rows = await session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.subject_ref == subject_ref)
            .order_by(ConsentRecord.at, ConsentRecord.id)
        )
        # Ordered by time, then by creation: the last record of each purpose is in force.
        return {row.purpose: row for row in rows}

    async def limited(self, session: AsyncSession, subject_refs: Iterable[str]) -> bool:
        """Whether any of these references (one person's anonymous id, account, number) limited
        the use of their sensitive personal information, and has not lifted the limit since."""
        refs = [ref for ref in subject_refs if ref]
        if not refs:
            return False
        rows = await session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.subject_ref.in_(refs), ConsentRecord.purpose == SENSITIVE_USE)
            .order_by(ConsentRecord.at, ConsentRecord.id)
        )
        latest = {row.subject_ref: row.granted for row in rows}
        return any(granted is False for granted in latest.values())

    async def withdraw_all(
        self, session: AsyncSession, subject_ref: str, *, method: str, policy_version: str
    ) -> list[str]:
        granted = [p for p, r in (await self.current(session, subject_ref)).items() if r.granted]
        if granted:
            await self.record(
                session,
                subject_ref,
                dict.fromkeys(granted, False),
                method=method,
                service="platform",
                policy_version=policy_version,
            )
        return granted
