"""Scratch PostgreSQL databases beside a given one, for tests and benchmarks that need a schema
of their own."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy.engine import URL, make_url


async def _admin(base: URL) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=base.host, port=base.port or 5432, user=base.username, database=base.database
    )


async def create_database(base_url: str, prefix: str = "rf_scratch") -> str:
    """Create an empty database next to ``base_url``'s and return its SQLAlchemy URL."""
    base = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await _admin(base)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.set(database=name).render_as_string(hide_password=False)


async def drop_database(base_url: str, url: str) -> None:
    """Drop the database of ``url``, connecting through ``base_url``'s."""
    conn = await _admin(make_url(base_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()
