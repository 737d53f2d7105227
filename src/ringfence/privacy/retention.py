"""The retention sweeper: applies every inventory entry's retention to its table or files.

Expired rows are deleted or anonymised in batches, each batch its own short transaction, so a
sweep never holds a long lock and can stop at any point without losing work. Each batch is one
set-based statement on the server (no row travels to the application). Two sweepers can run at
once: each statement checks the expiry again on the rows it changes, so a row is removed, and
counted, once (counts come from the rows each statement changed); on SQLite writers are
serialised by the database. What was removed is written to the audit log, per category, and
every sweep leaves one ``retention.sweep`` entry, so the operator's console can say when the
last one ran even when nothing had expired.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Delete,
    Table,
    Update,
    delete,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
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
        batch: int = 5000,
    ) -> None:
        self.db = db
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
            if cutoff is None or not (category.table or category.is_file_store):
                continue  # never stored, or log lines (the log's rotation removes them)
            if category.expires_field:
                cutoff = now  # each row carries its own end
            if category.is_file_store:
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

    def _batch(self, table: Table, category: Category, cutoff: dt.datetime) -> Update | Delete:
        """One set-based statement that deletes or clears up to ``batch`` expired rows, found
        through the timestamp's index and addressed by their physical row id: ``ctid`` on
        PostgreSQL (a TID scan: ``key IN (subquery)`` was planned as a hash join over a scan of
        the whole table for every batch), ``rowid`` on SQLite (the table's own b-tree key).

        The rows are not locked first (``FOR UPDATE`` wrote every row twice): the outer
        statement checks the expiry again, so a row another sweeper deleted or anything else
        changed meanwhile is skipped (PostgreSQL re-evaluates the condition on the row's latest
        version), and each sweeper counts only the rows its own statement changed."""
        postgres = self.db.dialect == "postgresql"
        row_id: ColumnElement[Any] = literal_column("ctid" if postgres else "rowid")
        expired = self._expired(table, category, cutoff)
        claim = select(row_id).select_from(table).where(expired).limit(self.batch)
        if postgres:
            target = row_id == func.any(func.array(claim.scalar_subquery()))
        else:
            target = row_id.in_(claim.scalar_subquery())
        if isinstance(category.at_expiry, Anonymise):
            fields = {f: None for f in category.at_expiry.fields}
            return update(table).where(target & expired).values(fields)
        return delete(table).where(target & expired)

    async def _sweep_table(self, category: Category, cutoff: dt.datetime) -> int:
        statement = self._batch(self._table(category), category, cutoff)
        total = 0
        while True:
            async with self.db.session() as session:
                if self.db.dialect == "postgresql":
                    # A batch's commit need not wait for its WAL to reach the disk: the sweep's
                    # audit entry, committed synchronously at the end, flushes every batch
                    # before it; a crash before then loses batches the next sweep redoes.
                    await session.execute(text("SET LOCAL synchronous_commit = off"))
                result = await session.execute(statement)
            changed = int(result.rowcount or 0)  # type: ignore[attr-defined]
            total += changed
            if changed == 0:
                return total

    async def _sweep_files(self, category: Category, cutoff: dt.datetime, dry_run: bool) -> int:
        folder = self.data_dir / category.store.removeprefix("file:")
        limit = cutoff.timestamp()

        def run() -> int:
            if not folder.is_dir():
                return 0
            count = 0
            for path in folder.rglob("*"):
                try:
                    if path.is_file() and path.stat().st_mtime < limit:
                        if not dry_run:
                            path.unlink(missing_ok=True)
                        count += 1
                except FileNotFoundError:  # another sweeper got there first
                    continue
            return count

        return await asyncio.to_thread(run)
