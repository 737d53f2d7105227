"""The async engine and sessions, on SQLite by default or PostgreSQL when configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeGuard

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from ringfence.logging import get_logger

log = get_logger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web process read while a job worker writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Deleted rows are overwritten with zeros, not left readable in free space of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 10})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # A pooled connection the server closed meanwhile (a restart, a failover, an idle timeout,
    # a terminated backend) is found by a ping when it is taken from the pool, and replaced.
    return create_async_engine(url, pool_pre_ping=True)


def dropped_connection(exc: BaseException) -> TypeGuard[DBAPIError]:
    """The database closed the connection under a statement (a restart, a failover, a
    terminated backend): the transaction is gone and the pool has discarded the connection, so
    the same work may succeed at once on a new one."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


# ``session.info`` key: the transaction erases someone's data; once it commits, no copy of what it
# deleted may stay readable on disk (``Database.scrub``).
SCRUB = "scrub_after_commit"

# ``session.info`` key: the session's transaction runs under a restricted role (a tenant's, on
# PostgreSQL) that may not touch the platform's own tables; work on those (data keys) must take
# a session of its own (``own_role_session``).
RESTRICTED = "restricted_role"


@asynccontextmanager
async def own_role_session(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A transaction on the application's own role beside ``session`` (which may be restricted),
    committed when the block ends. Only where the engine has roles: on SQLite (one writer, no
    roles) it is ``session`` itself."""
    if not session.info.get(RESTRICTED) or session.bind is None:
        yield session
        return
    async with AsyncSession(session.bind, expire_on_commit=False) as own, own.begin():
        yield own


class Database:
    """One engine and its session factory, owned and disposed by the app or a worker thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction that commits on success and rolls back on error."""
        async with self.sessionmaker() as session:
            async with session.begin():
                yield session
            if session.info.get(SCRUB):
                await self.scrub()

    async def scrub(self) -> bool:
        """After an erasure: on SQLite, copy the write-ahead log into the main file (where
        ``secure_delete`` has zeroed the deleted rows) and truncate it to nothing, so the old
        pages it held are no longer in any file; False when a reader kept it from finishing
        (the next erasure or checkpoint finishes it). On PostgreSQL a deleted row stays in its
        page until VACUUM (autovacuum, within minutes) reclaims it; nothing to do here."""
        if self.dialect != "sqlite":
            return True
        async with self.engine.connect() as conn:
            busy = (await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).scalar()
        if busy:
            log.warning("sqlite_checkpoint_busy")
        return not busy

    async def ping(self) -> None:
        """Raises when the database does not answer; a connection it dropped under the ping
        (a blip, which the pool heals) is tried once more on a new one."""
        try:
            await self._ping()
        except DBAPIError as exc:
            if not dropped_connection(exc):
                raise
            await self._ping()

    async def _ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("select 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
