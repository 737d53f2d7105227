"""Looking for a person's data in the raw rows of every table, as text."""

from __future__ import annotations

from sqlalchemy import String, Text, cast, column, inspect, or_, select, table
from sqlalchemy.ext.asyncio import AsyncConnection


async def tables_holding(conn: AsyncConnection, needle: str) -> list[str]:
    """Every table with a row whose text, in any column, contains ``needle``."""
    names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
    found = []
    for name in names:
        columns = await conn.run_sync(lambda sync, n=name: inspect(sync).get_columns(n))
        t = table(name, *(column(c["name"], String) for c in columns))
        text_of = [cast(t.c[c["name"]], Text) for c in columns]
        hit = await conn.scalar(
            select(t.c[columns[0]["name"]])
            .where(or_(*(v.ilike(f"%{needle}%") for v in text_of)))
            .limit(1)
        )
        if hit is not None:
            found.append(name)
    return found
