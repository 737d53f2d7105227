"""PostgreSQL backends terminated (``pg_terminate_backend``) again and again while clients read
pages from the app on a real server: no read answers 5xx; each one that lost its connection is
run again on a new one."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.logs import watched_logs
from tests.support.web import serving

pytestmark = pytest.mark.integration

CLIENTS = 4
TERMINATIONS = 15
READS = ["/privacy.json", "/privacy", "/privacy/now.json", "/readyz"]
TERMINATE = (
    "select count(pg_terminate_backend(pid)) from pg_stat_activity"
    " where datname = current_database() and pid <> pg_backend_pid()"
)


@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
async def test_terminated_backends_never_fail_a_read(
    make_settings: SettingsFactory, database_url: str
) -> None:
    url = make_url(database_url)
    app = create_app(make_settings(database_url=database_url), run_workers=False)
    statuses: list[int] = []
    answered = [0] * CLIENTS
    progress = asyncio.Event()
    done = asyncio.Event()

    async def read(client: httpx.AsyncClient, reader: int) -> None:
        i = reader
        while not done.is_set():
            statuses.append((await client.get(READS[i % len(READS)])).status_code)
            answered[reader] += 1
            progress.set()
            i += 1

    async def each_read_twice_more() -> None:
        """Until every reader has had two more answers: what was in flight when the backends
        went (and its retry) is answered, and the next termination is a blip of its own."""
        marks = list(answered)
        while any(n < m + 2 for n, m in zip(answered, marks, strict=True)):
            progress.clear()
            await progress.wait()

    with watched_logs() as logs:
        async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
            admin = await asyncpg.connect(
                host=url.host, port=url.port or 5432, user=url.username, database=url.database
            )
            readers = [asyncio.ensure_future(read(client, i)) for i in range(CLIENTS)]
            killed = 0
            try:
                for _ in range(TERMINATIONS):
                    await each_read_twice_more()
                    killed += await admin.fetchval(TERMINATE)
                await each_read_twice_more()
            finally:
                done.set()
                await asyncio.gather(*readers)
                await admin.close()
    assert killed >= TERMINATIONS
    errors = [e for e in logs.entries if e["log_level"] == "error"]
    assert [s for s in statuses if s >= 500] == [], errors
    assert logs.count("read_retried") > 0  # the terminations did cut reads in flight
    assert len(statuses) > TERMINATIONS * CLIENTS
