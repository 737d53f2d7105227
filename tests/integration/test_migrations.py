"""Migrations run up and down on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from ringfence.store import Database, current_revision, head_revision, migrate, require_current
from ringfence.store.schema import downgrade, target_metadata
from tests.conftest import ENGINES

pytestmark = pytest.mark.integration


async def _tables(url: str) -> set[str]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await db.dispose()


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, target_metadata()))


@ENGINES
def test_upgrade_then_downgrade_then_upgrade(empty_database_url: str) -> None:
    url = empty_database_url
    migrate(url)
    tables = asyncio.run(_tables(url))
    assert {"job_failures", "alembic_version"} <= tables
    downgrade(url, "base")
    assert asyncio.run(_tables(url)) <= {"alembic_version"}
    migrate(url)
    assert "job_failures" in asyncio.run(_tables(url))


@ENGINES
async def test_models_match_migrations(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await db.dispose()


@ENGINES
async def test_outdated_schema_is_refused_with_the_command_to_run(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    try:
        with pytest.raises(Exception, match="run `ringfence migrate`"):
            await require_current(db)
        await asyncio.to_thread(migrate, empty_database_url)
        assert await current_revision(db) == head_revision()
        await require_current(db)
    finally:
        await db.dispose()
