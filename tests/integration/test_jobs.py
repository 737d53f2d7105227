"""The job queue on both backends: runs, retries with backoff, records what fails, and lets a
worker in another process run what this one enqueued."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from huey.exceptions import TaskException

import tests.support.jobs  # noqa: F401 - registers the test jobs
from ringfence.jobs import JobQueue
from ringfence.settings import Settings
from ringfence.store import Database
from tests.conftest import REDIS_URL, SettingsFactory

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["embedded", "redis"])
def queue_settings(
    request: pytest.FixtureRequest, make_settings: SettingsFactory, database_url: str
) -> Settings:
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip("RINGFENCE_TEST_REDIS_URL is not set")
        return make_settings(database_url=database_url, redis_url=REDIS_URL)
    return make_settings(database_url=database_url)


@pytest.fixture
def running_queue(queue_settings: Settings) -> Iterator[JobQueue]:
    queue = JobQueue(queue_settings)
    queue.huey.flush()
    queue.start(workers=2)
    try:
        yield queue
    finally:
        queue.stop()
        queue.huey.flush()


def test_a_job_runs_with_its_context(running_queue: JobQueue, queue_settings: Settings) -> None:
    task_id = running_queue.enqueue_now("test.echo", "hello")
    result = running_queue.result(task_id, timeout=20)
    assert result == {"value": "hello", "backend": queue_settings.jobs_backend}
    assert running_queue.result(running_queue.enqueue_now("test.count_failures"), timeout=20) == 0


async def test_a_failing_job_is_retried_with_backoff_then_recorded(
    running_queue: JobQueue, db: Database, tmp_path: Path
) -> None:
    attempts_file = tmp_path / "attempts.txt"
    task_id = await running_queue.enqueue("test.always_fails", str(attempts_file))
    with pytest.raises(TaskException):
        await _result(running_queue, task_id)
    attempts = [dt.datetime.fromisoformat(t) for t in attempts_file.read_text().split()]
    assert len(attempts) == 3  # the first run and two retries
    gaps = [(b - a).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # retry_delay, then retry_delay * backoff

    failures = await running_queue.failures(db)
    assert len(failures) == 1
    failure = failures[0]
    assert failure.job_name == "test.always_fails"
    assert failure.task_id == task_id
    assert failure.attempts == 3
    assert failure.args == [str(attempts_file)]
    assert failure.error_type == "RuntimeError"
    assert "4155550123" not in failure.error_message and failure.error_message.endswith("23")


async def test_a_failed_job_can_be_run_again(
    running_queue: JobQueue, db: Database, tmp_path: Path
) -> None:
    flag = tmp_path / "flag"
    with pytest.raises(TaskException):
        await _result(
            running_queue, await running_queue.enqueue("test.fails_until_file", str(flag))
        )
    (failure,) = await running_queue.failures(db)
    flag.touch()
    again = await running_queue.retry_failure(db, failure.id)
    assert await _result(running_queue, again) == "ran"
    (failure,) = await running_queue.failures(db)
    assert failure.retried_at is not None
    with pytest.raises(Exception, match="already retried"):
        await running_queue.retry_failure(db, failure.id)


async def _result(queue: JobQueue, task_id: str) -> object:
    import asyncio

    return await asyncio.to_thread(queue.result, task_id, timeout=30)


def test_unknown_job_is_refused(make_settings: SettingsFactory) -> None:
    queue = JobQueue(make_settings())
    with pytest.raises(Exception, match="no job named 'nope'"):
        queue.enqueue_now("nope")


@pytest.fixture
def worker_process(
    make_settings: SettingsFactory, database_url: str, redis_url: str
) -> Iterator[Callable[[], Settings]]:
    settings = make_settings(database_url=database_url, redis_url=redis_url)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),  # this checkout first
        "RINGFENCE_DATA_DIR": str(settings.data_dir),
        "RINGFENCE_DATABASE_URL": database_url,
        "RINGFENCE_REDIS_URL": redis_url,
        "RINGFENCE_JOBS__QUEUE_NAME": settings.jobs.queue_name,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ringfence", "worker", "--import", "tests.support.jobs"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield lambda: settings
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode in (0, -15), out.decode()


async def test_a_worker_in_another_process_runs_what_this_one_enqueued(
    worker_process: Callable[[], Settings], db: Database, tmp_path: Path
) -> None:
    queue = JobQueue(worker_process())  # this process only enqueues: no consumer here
    task_id = await queue.enqueue("test.echo", "across processes")
    assert await _result(queue, task_id) == {"value": "across processes", "backend": "redis"}

    failing = await queue.enqueue("test.always_fails", str(tmp_path / "attempts.txt"))
    with pytest.raises(TaskException):
        await _result(queue, failing)
    (failure,) = await queue.failures(db)
    assert failure.task_id == failing and failure.attempts == 3
