"""The retention sweeper: applies every inventory entry's retention to its table or files.

Expired rows are deleted or anonymised in batches, each batch its own short transaction, so a
sweep never holds a long lock and can stop at any point without losing work. Each batch is one
set-based statement on the server (no row travels to the application). Two sweepers can run at
once: each statement checks the expiry again on the rows it changes, so a row is removed, and
counted, once (counts come from the rows each statement changed); on SQLite writers are
serialised by the database. What was removed is written to the audit log, per category, and
every sweep leaves one ``retention.sweep`` entry, so the operator's console can say when the
last one ran even when nothing had expired.


Rows some processor also holds (a custom voice at the hosted provider) are released there first
by their table's releaser, declared by a privacy module (``RELEASERS``). A ``Cascade`` category
(a closed business) takes every row that names its key with it, then crypto-shreds the data
keys that only those rows used: a key still named by any other record (the same caller's call
at another business, an account) is kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
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
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from ringfence.clock import Clock
from ringfence.errors import RingfenceError
from ringfence.logging import get_logger
from ringfence.privacy.audit import Audit
from ringfence.privacy.files import subject_folder
from ringfence.privacy.inventory import Anonymise, Cascade, Category, Inventory
from ringfence.privacy.models import DataKey
from ringfence.privacy.subjects import account_ref
from ringfence.store.base import Base
from ringfence.store.database import Database
from ringfence.store.schema import target_metadata

log = get_logger(__name__)
ACTOR = "retention-sweeper"
SWEEP = "retention.sweep"
CASCADE = "retention.cascade"
ACCOUNT = account_ref("")
REFS_PER_QUERY = 500
# Before rows of a table are deleted: release what a processor holds for the rows matching the
# condition (in the deleting transaction); returns how many it released.
Releaser = Callable[[AsyncSession, ColumnElement[bool]], Awaitable[int]]


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
        releasers: Mapping[str, Releaser] | None = None,
    ) -> None:
        self.db = db
        # A log store's active file ("log:access" -> .../access.log); its rotated siblings
        # past retention are removed (rotation removes them too, but only while it runs).
        self.log_files = dict(log_files or {})
        self.inventory = inventory
        self.clock = clock
        self.data_dir = data_dir
        self.batch = batch
        self.releasers = dict(releasers or {})
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
        if category.rows is not None:
            condition = condition & (table.c[category.rows[0]] == category.rows[1])
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
            try:
                if category.is_log_store:
                    count = await self._sweep_logs(category, cutoff, dry_run)
                elif category.is_file_store:
                    count = await self._sweep_files(category, cutoff, dry_run)
                elif dry_run:
                    count = await self._count(category, cutoff)
                elif isinstance(category.at_expiry, Cascade):
                    count = await self._cascade(category, category.at_expiry, cutoff)
                else:
                    count = await self._sweep_table(category, cutoff)
            except RingfenceError as exc:  # a processor refused a release: the next sweep retries
                log.warning("retention_release_failed", category=category.name, error=exc.code)
                continue
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
        expired = self._expired(table, category, cutoff)
        if isinstance(category.at_expiry, Anonymise):
            cleared = {f: None for f in category.at_expiry.fields}
            return await self._in_place(self._batch(table, expired, cleared))
        return await self._delete(table, expired, self.releasers.get(table.name))

    def _key(self, table: Table) -> Column[str]:
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            raise KeyError(f"table {table.name}: sweeping needs a single-column key")
        return pk[0]

    def _batch(
        self,
        table: Table,
        condition: ColumnElement[bool],
        cleared: dict[str, None] | None = None,
    ) -> Update | Delete:
        """One set-based statement that deletes (or clears the ``cleared`` fields of) up to
        ``batch`` rows matching ``condition``, found through its index and addressed by their
        physical row id: ``ctid`` on PostgreSQL (a TID scan: ``key IN (subquery)`` was planned
        as a hash join over a scan of the whole table for every batch), ``rowid`` on SQLite
        (the table's own b-tree key).

        The rows are not locked first (``FOR UPDATE`` wrote every row twice): the outer
        statement checks the condition again, so a row another sweeper deleted or anything else
        changed meanwhile is skipped (PostgreSQL re-evaluates the condition on the row's latest
        version), and each sweeper counts only the rows its own statement changed."""
        postgres = self.db.dialect == "postgresql"
        row_id: ColumnElement[Any] = literal_column("ctid" if postgres else "rowid")
        claim = select(row_id).select_from(table).where(condition).limit(self.batch)
        if postgres:
            target = row_id == func.any(func.array(claim.scalar_subquery()))
        else:
            target = row_id.in_(claim.scalar_subquery())
        if cleared is not None:
            return update(table).where(target & condition).values(cleared)
        return delete(table).where(target & condition)

    async def _in_place(self, statement: Update | Delete) -> int:
        """``statement`` (a ``_batch``) again, a short transaction each, until it changes
        nothing; returns how many rows it changed."""
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

    async def _delete(
        self, table: Table, condition: ColumnElement[bool], release: Releaser | None
    ) -> int:
        """Every row matching ``condition``, each batch ``release``d first when given."""
        if release is None:
            return await self._in_place(self._batch(table, condition))
        if len(table.primary_key.columns) != 1:  # a composite key: one statement
            async with self.db.session() as session:
                await release(session, condition)
                result = await session.execute(delete(table).where(condition))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
        return await self._in_batches(
            table, condition, lambda key, claimed: delete(table).where(key.in_(claimed)), release
        )

    async def _in_batches(
        self,
        table: Table,
        condition: ColumnElement[bool],
        statement: Callable[[Column[str], Any], Any],
        release: Releaser,
    ) -> int:
        """``statement`` over the rows matching ``condition``, a claimed batch per short
        transaction, each released first, until none is left; returns how many rows it
        changed."""
        key = self._key(table)
        total = 0
        while True:
            claim = select(key).where(condition).limit(self.batch)
            if self.db.dialect == "postgresql":
                claim = claim.with_for_update(skip_locked=True)
            async with self.db.session() as session:
                # the very rows released are the ones changed
                claimed = list((await session.scalars(claim)).all())
                await release(session, key.in_(claimed))
                result = await session.execute(statement(key, claimed))
            changed = int(result.rowcount or 0)  # type: ignore[attr-defined]
            total += changed
            if changed == 0:
                return total

    async def _cascade(self, category: Category, rule: Cascade, cutoff: dt.datetime) -> int:
        """Each expired record with every row that names it in ``rule.column``."""
        table = self._table(category)
        key = self._key(table)
        owned = [t for t in Base.metadata.sorted_tables if rule.column in t.c and t is not table]
        total = 0
        while True:
            async with self.db.session() as session:
                found = await session.scalars(
                    select(key).where(self._expired(table, category, cutoff)).limit(self.batch)
                )
                due = list(found.all())
            if not due:
                return total
            for value in due:
                await self._purge_owned(owned, rule.column, value)
                async with self.db.session() as session:
                    result = await session.execute(delete(table).where(key == value))
                total += int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _purge_owned(self, tables: list[Table], column: str, value: str) -> None:
        """Delete the rows naming ``value`` (children first), then the keys only they used.
        Every release comes first: a processor that refuses leaves everything for the next
        sweep, the subjects whose keys are to go included."""
        for table in tables:
            release = self.releasers.get(table.name)
            if release is not None:
                async with self.db.session() as session:
                    await release(session, table.c[column] == value)
        refs = await self._encrypted_refs({t.name for t in tables}, column, value)
        counts: dict[str, int] = {}
        for table in reversed(tables):
            counts[table.name] = await self._delete(table, table.c[column] == value, None)
        shredded = await self._shred(refs)
        async with self.db.session() as session:
            self.audit.record(
                session,
                actor_kind="system",
                actor_id=ACTOR,
                action=CASCADE,
                owner=value,
                rows={name: n for name, n in counts.items() if n},
                keys_destroyed=shredded,
            )
        log.info("retention_cascaded", owner=value, rows=sum(counts.values()), keys=shredded)

    def _encrypted_columns(self, tables: Collection[str] | None = None) -> set[tuple[str, str]]:
        """(table, column) naming the subject whose key encrypts the rows, of every encrypted
        category (or of those in ``tables``)."""
        return {
            (c.table, c.key_field or c.subject_field)
            for c in self.inventory
            if c.encrypted
            and c.table
            and (c.key_field or (c.subject_field and not c.subject_hashed))
            if tables is None or c.table in tables
        }

    async def _encrypted_refs(self, tables: Collection[str], column: str, value: str) -> set[str]:
        """The subjects whose keys encrypt rows naming ``value``; an account's key stays with
        the account (its erasure destroys it)."""
        refs: set[str] = set()
        async with self.db.session() as session:
            for name, field_name in self._encrypted_columns(tables):
                table = Base.metadata.tables[name]
                subject = table.c[field_name]
                rows = await session.scalars(
                    select(subject).where(table.c[column] == value, subject.is_not(None)).distinct()
                )
                refs.update(r for r in rows.all() if not r.startswith(ACCOUNT))
        return refs

    async def _shred(self, refs: Iterable[str]) -> int:
        """Destroy the data keys of ``refs`` that no encrypted record left names (in a table,
        or as a folder of an encrypted file store); returns how many."""
        pending = sorted(refs)
        destroyed = 0
        stores = [c for c in self.inventory if c.is_file_store and c.encrypted]
        for start in range(0, len(pending), REFS_PER_QUERY):
            chunk = set(pending[start : start + REFS_PER_QUERY])
            with_files = await asyncio.to_thread(self._with_files, stores, chunk)
            async with self.db.session() as session:
                for name, field_name in self._encrypted_columns():
                    subject = Base.metadata.tables[name].c[field_name]
                    used = await session.scalars(select(subject).where(subject.in_(chunk)))
                    chunk -= set(used.all())
                chunk -= with_files
                if chunk:
                    result = await session.execute(
                        delete(DataKey).where(DataKey.subject_ref.in_(chunk))
                    )
                    destroyed += int(result.rowcount or 0)  # type: ignore[attr-defined]
        return destroyed

    def _with_files(self, stores: list[Category], refs: set[str]) -> set[str]:
        folder = subject_folder
        return {r for r in refs if any(folder(self.data_dir, c, r).is_dir() for c in stores)}

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
