"""The retention sweeper: applies every inventory entry's retention to its table or files.

Expired rows are deleted or anonymised in batches, each batch its own short transaction, so a
sweep never holds a long lock and can stop at any point without losing work. Two sweepers can run
at once: on PostgreSQL each batch claims its rows with ``FOR UPDATE SKIP LOCKED``; on SQLite
writers are serialised by the database. Counts come from the rows each statement changed, so
nothing is counted twice. What was removed is written to the audit log, per category, and
every sweep leaves one ``retention.sweep`` entry, so the operator's console can say when the
last one ran even when nothing had expired.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Delete, Table, Update, delete, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from ringfence.clock import Clock
from ringfence.logging import get_logger
from ringfence.privacy.audit import Audit
from ringfence.privacy.inventory import Anonymise, Category, Inventory
from ringfence.store.base import Base
from ringfence.store.database import Database
from ringfence.store.schema import target_metadata

log = get_logger(__name__)
ACTOR = "retention-sweeper"
SWEEP = "retention.sweep"


@dataclass
class SweepReport:
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Sweeper:
    def __init__(
        self,
        db: Database,
        inventory: Inventory,
        clock: Clock,
        *,
        data_dir: Path,
        log_files: Mapping[str, Path] | None = None,
        batch: int = 5000,
    ) -> None:
        self.db = db
        # A log store's active file ("log:access" -> .../access.log); its rotated siblings
        # past retention are removed (rotation removes them too, but only while it runs).
        self.log_files = dict(log_files or {})
        self.inventory = inventory
        self.clock = clock
        self.data_dir = data_dir
        self.batch = batch
        self.audit = Audit(clock)
        target_metadata()

    def _table(self, category: Category) -> Table:
        table = Base.metadata.tables.get(category.table or "")
        if table is None:
            raise KeyError(f"category {category.name}: no table {category.store!r}")
        return table

    def _expired(
        self, table: Table, category: Category, cutoff: dt.datetime
    ) -> ColumnElement[bool]:
        column = category.expires_field or category.timestamp
        condition: ColumnElement[bool] = table.c[column] < cutoff
        if isinstance(category.at_expiry, Anonymise):
            # Rows already anonymised are done: only those with something left to clear.
            pending = or_(*(table.c[f].is_not(None) for f in category.at_expiry.fields))
            condition = condition & pending
        return condition

    async def sweep(self, *, dry_run: bool = False) -> SweepReport:
        now = self.clock.now()
        report = SweepReport(dry_run=dry_run)
        for category in self.inventory:
            cutoff = self.inventory.expires_before(category, now)
            if cutoff is None or not category.stored:
                continue
            if category.expires_field:
                cutoff = now  # each row carries its own end
            if category.is_log_store:
                count = await self._sweep_logs(category, cutoff, dry_run)
            elif category.is_file_store:
                count = await self._sweep_files(category, cutoff, dry_run)
            elif dry_run:
                count = await self._count(category, cutoff)
            else:
                count = await self._sweep_table(category, cutoff)
            report.counts[category.name] = count
            if count and not dry_run:
                async with self.db.session() as session:
                    self.audit.record(
                        session,
                        actor_kind="system",
                        actor_id=ACTOR,
                        action=f"retention.{category.at_expiry.name}",
                        category=category.name,
                        rows=count,
                        older_than=cutoff.isoformat(timespec="seconds"),
                    )
                log.info("retention_swept", category=category.name, rows=count)
        if not dry_run:
            async with self.db.session() as session:
                self.audit.record(
                    session,
                    actor_kind="system",
                    actor_id=ACTOR,
                    action=SWEEP,
                    rows=report.total,
                )
        return report

    async def _count(self, category: Category, cutoff: dt.datetime) -> int:
        table = self._table(category)
        async with self.db.session() as session:
            found = await session.scalar(
                select(func.count())
                .select_from(table)
                .where(self._expired(table, category, cutoff))
            )
            return int(found or 0)

    async def _sweep_table(self, category: Category, cutoff: dt.datetime) -> int:
        table = self._table(category)
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            raise KeyError(f"category {category.name}: sweeping needs a single-column key")
        key = pk[0]
        total = 0
        while True:
            claim = select(key).where(self._expired(table, category, cutoff)).limit(self.batch)
            if self.db.dialect == "postgresql":
                claim = claim.with_for_update(skip_locked=True)
            statement: Update | Delete
            if isinstance(category.at_expiry, Anonymise):
                statement = (
                    update(table)
                    .where(key.in_(claim.scalar_subquery()))
                    .values({f: None for f in category.at_expiry.fields})
                )
            else:
                statement = delete(table).where(key.in_(claim.scalar_subquery()))
            async with self.db.session() as session:
                result = await session.execute(statement)
            changed = int(result.rowcount or 0)  # type: ignore[attr-defined]
            total += changed
            if changed == 0:
                return total

    async def _sweep_files(self, category: Category, cutoff: dt.datetime, dry_run: bool) -> int:
        folder = self.data_dir / category.store.removeprefix("file:")
        return await _remove_older(folder.rglob("*") if folder.is_dir() else [], cutoff, dry_run)

    async def _sweep_logs(self, category: Category, cutoff: dt.datetime, dry_run: bool) -> int:
        active = self.log_files.get(category.store.removeprefix("log:"))
        if active is None or not active.parent.is_dir():
            return 0
        # The active file and its rotations (access.log.2026-12-01, access.log.2026-12-01.1).
        return await _remove_older(active.parent.glob(active.name + "*"), cutoff, dry_run)


async def _remove_older(paths: Iterable[Path], cutoff: dt.datetime, dry_run: bool) -> int:
    """Remove (or count) the files last modified before ``cutoff``."""
    limit = cutoff.timestamp()

    def run() -> int:
        count = 0
        for path in paths:
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    if not dry_run:
                        path.unlink(missing_ok=True)
                    count += 1
            except FileNotFoundError:  # another sweeper got there first
                continue
        return count

    return await asyncio.to_thread(run)
