"""What the platform holds about a phone number, across every service and business.

A person without an account (a business's caller, a campaign's contact, a number ring rang) is
named in the records by the number's subject reference (``subjects.phone_ref``). The inventory
says which categories are about a phone number (``SubjectKind.PHONE``) and which column holds its
reference, or its keyed hash (``subject_hashed``); this module counts them, per business where a
table belongs to one (its ``tenant_id`` column, the tenants' own mixin), without any service's
name. The export, restriction and erasure themselves are the rights requests' own
(``rights.Rights``), on the same subject reference.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.privacy.files import subject_folder
from ringfence.privacy.inventory import Category, Inventory, SubjectKind
from ringfence.privacy.subjects import keyed_ref
from ringfence.store.base import Base
from ringfence.store.schema import target_metadata

TENANT_COLUMN = "tenant_id"  # the column every business-owned table has (tenants.TenantScoped)


@dataclass(frozen=True)
class Holding:
    """How many records of one category are about the number, and whose they are."""

    category: str
    title: str
    service: str
    records: int
    by_tenant: dict[str, int] = field(default_factory=dict)  # business id -> records


class PhoneSubjects:
    def __init__(self, inventory: Inventory, key: bytes, data_dir: Path) -> None:
        self.inventory = inventory
        self.key = key
        self.data_dir = data_dir
        target_metadata()

    def categories(self) -> list[Category]:
        """The stored categories whose records are found by a phone number."""
        return [
            c
            for c in self.inventory
            if c.subject is SubjectKind.PHONE
            and c.stored
            and ((c.table and c.subject_field) or c.is_file_store)
        ]

    async def holdings(self, session: AsyncSession, subject_ref: str) -> list[Holding]:
        """Every category holding records about the number (none empty), largest first."""
        out: list[Holding] = []
        for category in self.categories():
            if category.is_file_store:
                count = await asyncio.to_thread(self._files, category, subject_ref)
                by_tenant: dict[str, int] = {}
            else:
                count, by_tenant = await self._rows(session, category, subject_ref)
            if count:
                out.append(
                    Holding(category.name, category.title, category.service, count, by_tenant)
                )
        return sorted(out, key=lambda h: (-h.records, h.category))

    async def _rows(
        self, session: AsyncSession, category: Category, subject_ref: str
    ) -> tuple[int, dict[str, int]]:
        table = Base.metadata.tables[category.table or ""]
        held = keyed_ref(subject_ref, self.key) if category.subject_hashed else subject_ref
        where = table.c[category.subject_field] == held
        if TENANT_COLUMN not in table.c:
            count = await session.scalar(select(func.count()).select_from(table).where(where))
            return int(count or 0), {}
        tenant = table.c[TENANT_COLUMN]
        rows = await session.execute(select(tenant, func.count()).where(where).group_by(tenant))
        by_tenant = {str(t): int(n) for t, n in rows}
        return sum(by_tenant.values()), by_tenant

    def _files(self, category: Category, subject_ref: str) -> int:
        folder = subject_folder(self.data_dir, category, subject_ref)
        return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def by_tenant(holdings: list[Holding]) -> dict[str, list[Holding]]:
    """The holdings of each business, each holding cut to that business's records."""
    out: dict[str, list[Holding]] = {}
    for holding in holdings:
        for tenant, records in holding.by_tenant.items():
            out.setdefault(tenant, []).append(
                Holding(holding.category, holding.title, holding.service, records)
            )
    return out
