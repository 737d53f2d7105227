"""First-use rows that concurrent first requests may all try to write.

A row that is made the first time something is used (the policy version in force, a subject's
data key) can be wanted by many requests, processes or machines at once on a fresh database.
Reading, then inserting when it was missing, lets all but one fail on the primary key. Here
the insert is ``INSERT ... ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL): whoever comes
second waits for the first writer's transaction (PostgreSQL) or for the write lock (SQLite),
inserts nothing, and reads the row the first one wrote.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.store.base import Base

M = TypeVar("M", bound=Base)


async def insert_missing(session: AsyncSession, model: type[M], values: dict[str, Any]) -> M:
    """The row of ``model`` with ``values``' primary key: the one stored already, or a new one
    made of ``values``."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    key = tuple(values[str(column.key)] for column in model.__mapper__.primary_key)
    return await session.get_one(model, key if len(key) > 1 else key[0], populate_existing=True)
