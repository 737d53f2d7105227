"""The audit log: who (a system job, a subject, an operator) did what to which subject's data.

Entries hold ids and counts, never content. They are append-only: the store refuses UPDATEs with a
trigger (migration 0002), and only the retention sweeper deletes them, when they expire.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.privacy.models import AuditEntry


class Audit:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def record(
        self,
        session: AsyncSession,
        *,
        actor_kind: str,
        actor_id: str,
        action: str,
        category: str | None = None,
        subject_ref: str | None = None,
        **detail: Any,
    ) -> AuditEntry:
        """Add an entry in the caller's transaction, so it commits with what it describes."""
        entry = AuditEntry(
            at=self.clock.now(),
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=action,
            category=category,
            subject_ref=subject_ref,
            detail=detail,
        )
        session.add(entry)
        return entry

    async def entries(
        self, session: AsyncSession, *, action: str | None = None, limit: int = 1000
    ) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.at.desc()).limit(limit)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return (await session.scalars(query)).all()
