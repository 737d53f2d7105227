"""Shared fixtures: factories for settings and databases, and the optional real servers.

PostgreSQL and Redis tests run when ``RINGFENCE_TEST_POSTGRES_URL`` / ``RINGFENCE_TEST_REDIS_URL``
are set (``.ci/run`` sets both) and are skipped, saying so, when they are not.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from ringfence.settings import Settings
from ringfence.store import Database, migrate
from ringfence.testing.postgres import create_database, drop_database

# Property tests run on a shared 2-core machine: an example that takes 300 ms under load is not a
# failure (time is measured in bench/, never in tests).
hypothesis_settings.register_profile("shared-machine", deadline=None)
hypothesis_settings.load_profile("shared-machine")

POSTGRES_URL = os.environ.get("RINGFENCE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("RINGFENCE_TEST_REDIS_URL")

SettingsFactory = Callable[..., Settings]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own RINGFENCE_* variables must not leak into tests."""
    for name in list(os.environ):
        if name.startswith("RINGFENCE_") and not name.startswith("RINGFENCE_TEST_"):
            monkeypatch.delenv(name)
    # roulette's own coturn is started by the tests that are about it, not by every server.
    monkeypatch.setenv("RINGFENCE_ROULETTE__MANAGED_TURN", "false")


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "jobs": {"queue_name": f"rf-test-{uuid.uuid4().hex[:10]}"},
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, unmigrated database on the engine named by the test's ``engine`` param."""
    engine = getattr(request, "param", "sqlite")
    if engine == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("RINGFENCE_TEST_POSTGRES_URL is not set")
    url = asyncio.run(create_database(POSTGRES_URL, "rf_test"))
    try:
        yield url
    finally:
        asyncio.run(drop_database(POSTGRES_URL, url))


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A fresh database on the test's engine, migrated to the newest schema."""
    migrate(empty_database_url)
    return empty_database_url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("RINGFENCE_TEST_REDIS_URL is not set")
    return REDIS_URL


ENGINES = pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
