"""Serialising check-then-write across processes, for the rest of a transaction.

On PostgreSQL a transaction-scoped advisory lock per name (a 64-bit hash of it), so only
writers of the same name wait for each other. On SQLite a write statement that touches no row:
it takes the database's single write lock, which every other writer then waits for.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, false, text
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.store.models import JobFailure


async def lock_names(session: AsyncSession, names: list[str]) -> None:
    """Hold these names until the transaction ends (in a fixed order: no deadlocks)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        await session.execute(delete(JobFailure).where(false()))
    elif dialect == "postgresql":
        for name in sorted(set(names)):
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            await session.execute(text("select pg_advisory_xact_lock(:k)"), {"k": key})
