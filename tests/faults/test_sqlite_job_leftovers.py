"""A job that returns while work it started is inside a write transaction (as an evaluation
returned while the engine was still writing the call's record) does not leave SQLite locked:
the worker's loop runs that work to its commit before taking the next job, so a writer
elsewhere gets the lock at once instead of ``database is locked``."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from ringfence.jobs import JobQueue
from ringfence.store import Database
from ringfence.store.models import JobFailure
from tests.conftest import SettingsFactory

pytestmark = pytest.mark.integration


async def test_a_job_leaves_no_write_transaction_open(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    settings = make_settings(database_url=database_url)
    queue = JobQueue(settings, modules=["tests.support.jobs"])
    queue.start(workers=1)
    try:
        task_id = await queue.enqueue("test.writes_after_returning")
        await asyncio.to_thread(queue.result, task_id, timeout=60)
        # The worker is idle now (its loop stopped): the lock must be free.
        async with db.session() as session:
            await session.execute(
                JobFailure.__table__.update().values(attempts=2)  # a write
            )
            written = await session.scalar(select(func.count()).select_from(JobFailure))
    finally:
        await asyncio.to_thread(queue.stop)
    assert written == 1  # the left-behind transaction was committed, not lost
