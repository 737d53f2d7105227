"""Watches: every consumer process runs them every few seconds on a thread of its own, keeps
running them after one fails, and stops them with the queue."""

from __future__ import annotations

import threading

from ringfence.jobs import JobContext, JobQueue
from ringfence.jobs.registry import JobRegistry
from ringfence.jobs.runtime import Runtimes
from ringfence.jobs.watch import Watcher
from ringfence.testing.clock import FakeClock
from tests.conftest import SettingsFactory


def test_a_watch_runs_again_and_again_and_survives_its_failures(
    make_settings: SettingsFactory,
) -> None:
    jobs = JobRegistry()
    runs: list[str] = []
    third = threading.Event()

    @jobs.watch(0.01, name="test.flaky_watch")
    async def flaky(ctx: JobContext) -> None:
        runs.append(threading.current_thread().name)
        if len(runs) == 1:
            raise RuntimeError("the database was busy")
        if len(runs) >= 3:
            third.set()

    settings = make_settings()
    runtimes = Runtimes(settings, FakeClock())
    watcher = Watcher([flaky], runtimes)
    watcher.start()
    try:
        assert third.wait(30)
    finally:
        watcher.stop()
        runtimes.close()
    assert set(runs) == {"ringfence-watch"}  # its own thread, never the caller's
    assert "ringfence-watch" not in {t.name for t in threading.enumerate()}  # stopped


def test_a_watch_is_not_a_queued_job(make_settings: SettingsFactory) -> None:
    jobs = JobRegistry()

    @jobs.watch(5.0, name="test.watch_only")
    async def watch(ctx: JobContext) -> None: ...

    queue = JobQueue(make_settings(), jobs=jobs)
    assert "test.watch_only" not in queue._specs
    assert [w.name for w in queue.watcher._watches] == ["test.watch_only"]
