"""The job queue on a Redis of its own (``ringfence.testing.redis_server``) that is killed and
started again: with append-only persistence no accepted job is lost, and ``/readyz`` warns when it
is off; an enqueue while Redis is down waits for it a few seconds, then answers 503 with a
message, never a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from structlog.testing import capture_logs

from ringfence.accounts.models import Account
from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.jobs.durability import OFF
from ringfence.jobs.queue import ENQUEUE_PATIENCE
from ringfence.services.agents.models import EvaluationCall
from ringfence.services.agents.testing import RATES, fund, verify_number
from ringfence.store import Database
from ringfence.testing.redis_server import RedisServer
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.accounts import site, verified_login
from tests.support.logs import watched_logs
from tests.support.web import client_for

pytestmark = pytest.mark.integration

JOBS = 20
NUMBER = "+442079460123"


@pytest.fixture
def redis_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisServer]:
    appendonly, appendfsync = getattr(request, "param", (True, "everysec"))
    with RedisServer(tmp_path / "redis", appendonly=appendonly, appendfsync=appendfsync) as rs:
        yield rs


# A restart by the service manager loses nothing with the default fsync of every second (Redis
# writes its log out on SIGTERM); a crash (SIGKILL) loses nothing only with ``appendfsync
# always`` (every write on disk before the reply): with ``everysec`` up to 2 s of jobs can go.
@pytest.mark.parametrize(
    ("redis_server", "stop"),
    [((True, "everysec"), "stop"), ((True, "always"), "kill")],
    indirect=["redis_server"],
)
async def test_a_redis_restart_loses_no_accepted_job(
    make_settings: SettingsFactory, database_url: str, redis_server: RedisServer, stop: str
) -> None:
    settings = make_settings(database_url=database_url, redis_url=redis_server.url)
    queue = JobQueue(settings, modules=["tests.support.jobs"])
    async with client_for(create_app(settings, queue=queue, run_workers=False)) as client:
        ready = (await client.get("/readyz")).json()
        assert ready["status"] == "ready" and ready["warnings"] == {}
    ids = [await queue.enqueue("test.echo", f"job {i}") for i in range(JOBS)]
    await asyncio.to_thread(getattr(redis_server, stop))
    await asyncio.to_thread(redis_server.start)
    assert queue.pending() == JOBS
    queue.start(workers=2)
    try:
        results = [await asyncio.to_thread(queue.result, i, timeout=60) for i in ids]
    finally:
        await asyncio.to_thread(queue.stop)
    assert [r["value"] for r in results] == [f"job {i}" for i in range(JOBS)]


@pytest.mark.parametrize("redis_server", [(False, "everysec")], indirect=True)
async def test_readyz_warns_when_redis_would_lose_the_queue(
    make_settings: SettingsFactory, database_url: str, redis_server: RedisServer
) -> None:
    settings = make_settings(database_url=database_url, redis_url=redis_server.url)
    queue = JobQueue(settings, modules=["tests.support.jobs"])
    async with client_for(create_app(settings, queue=queue, run_workers=False)) as client:
        ready = await client.get("/readyz")
        # Still ready (it works), with the warning the operator should act on.
        assert ready.status_code == 200 and ready.json()["warnings"] == {"job_queue": OFF}
    for i in range(JOBS):
        await queue.enqueue("test.echo", f"job {i}")
    await asyncio.to_thread(redis_server.stop)
    await asyncio.to_thread(redis_server.start)
    assert queue.pending() == 0  # what the warning is about


async def test_enqueueing_during_an_outage_waits_briefly_then_answers_503(
    make_settings: SettingsFactory, database_url: str, db: Database, redis_server: RedisServer,
    tmp_path: Path,
) -> None:  # fmt: skip
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    async with site(
        make_settings, database_url, redis_url=redis_server.url, billing={"rates_file": str(rates)}
    ) as (client, inbox, settings):
        csrf = {"X-CSRF-Token": await verified_login(client, inbox, "owner@example.org")}
        made = await client.post("/api/tenants", json={"name": "Harbour Dental"}, headers=csrf)
        tenant = made.json()["id"]
        await verify_number(settings, db, SystemClock(), tenant, NUMBER)
        async with db.session() as session:
            owner = await session.scalar(select(Account.id))
        assert owner is not None
        await fund(settings, db, SystemClock(), owner, 1_000)
        url = f"/api/tenants/{tenant}/evaluations"
        body = {"number": NUMBER, "business": "Harbour Dental", "questions": ["price"]}

        await asyncio.to_thread(redis_server.kill)
        with capture_logs() as logs:
            down = await client.post(url, headers=csrf, json=body)
        assert down.status_code == 503
        error = down.json()["error"]
        assert error["code"] == "unavailable" and "job queue" in error["message"]
        retried = [e for e in logs if e["event"] == "job_queue_retrying"]
        assert len(retried) >= 3 and "Traceback" not in down.text
        assert any(e["event"] == "job_queue_unreachable" for e in logs)
        # Nothing is left queued that no job will ever run.
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(EvaluationCall)) == 0

        # Redis back while an enqueue is waiting for it: the request goes through.
        with watched_logs() as logs:
            asked = asyncio.ensure_future(client.post(url, headers=csrf, json=body))
            await logs.until("job_queue_retrying", seconds=ENQUEUE_PATIENCE)
            await asyncio.to_thread(redis_server.start)
            back = await asyncio.wait_for(asked, 30)
        assert back.status_code == 202, back.text
