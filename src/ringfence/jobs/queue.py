"""The job queue: huey underneath, embedded (SQLite file) by default or Redis for several machines.

The same code path runs in both modes: jobs are serialised into huey's storage by whoever enqueues
them and executed by a consumer (``ringfence worker``, or threads inside ``ringfence serve``). A job
that raises is re-queued by huey after ``retry_delay`` seconds, the delay multiplied by ``backoff``
on each attempt; when its retries are spent, the failure is written to ``job_failures`` with its
arguments so ``ringfence jobs retry`` can run it again.

On Redis the queue is only as durable as Redis: a job accepted here is kept across a Redis
restart only with append-only persistence (``appendonly yes``; ``durability`` says whether it is
on, ``/readyz`` shows it). While the queue's storage cannot be reached, enqueueing tries again for
``ENQUEUE_PATIENCE`` seconds (a restart, a failover), then fails with ``ServiceUnavailable`` (503
at the edge): the caller learns that nothing was queued. A reply lost after Redis took the job
may queue it twice: jobs are written to run twice harmlessly (they check the state they act on).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

import redis
from huey import Huey, RedisHuey, SqliteHuey, signals
from huey.api import Task, TaskWrapper
from huey.consumer import Consumer
from sqlalchemy import select

from ringfence import composition
from ringfence.clock import Clock, SystemClock
from ringfence.errors import NotFound, ServiceUnavailable
from ringfence.jobs.registry import JobRegistry, JobSpec, registry
from ringfence.jobs.runtime import Runtimes
from ringfence.jobs.watch import Watcher
from ringfence.logging import get_logger
from ringfence.redact import mask_phone_numbers
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.store.models import JobFailure

log = get_logger(__name__)

# The core's modules that declare jobs on the shared registry (importing them registers the
# jobs); the enabled services' come from their manifests.
CORE_JOB_MODULES: tuple[str, ...] = (
    "ringfence.privacy.jobs",
    "ringfence.abuse.jobs",
    "ringfence.accounts.jobs",
)
# How long an enqueue waits for the queue's storage to come back before it gives up.
ENQUEUE_PATIENCE = 3.0
# What the storage raises while it cannot be reached (Redis down or restarting, loading its
# append-only log; the embedded file's lock held past its timeout).
UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, sqlite3.OperationalError)


def _build_huey(settings: Settings) -> Huey:
    name = settings.jobs.queue_name
    # A job's result (or its error) is stored only once it is final, never between retries.
    options = {"results": True, "utc": True, "store_intermediate_errors": False}
    if settings.jobs_backend == "redis" and settings.redis_url:
        # Bounded waits: a Redis host that stopped answering fails an enqueue within seconds
        # instead of hanging it (the consumer's blocking pop waits 1 s at a time).
        pool = redis.ConnectionPool.from_url(
            settings.redis_url, socket_connect_timeout=2.0, socket_timeout=5.0
        )
        return RedisHuey(name, connection_pool=pool, **options)
    path = settings.ensure_data_dir() / "jobs.sqlite3"
    return SqliteHuey(name, filename=str(path), **options)


class _InProcessConsumer(Consumer):  # type: ignore[misc]
    """A consumer that leaves the process's signal handlers to its host (uvicorn)."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    def __init__(
        self,
        settings: Settings,
        *,
        jobs: JobRegistry = registry,
        modules: Iterable[str] = (),
        clock: Clock | None = None,
    ) -> None:
        on = composition.enabled(settings)
        off = set(composition.job_modules(s for s in composition.installed() if s not in on))
        for module in (*CORE_JOB_MODULES, *composition.job_modules(on), *modules):
            importlib.import_module(module)
        self.settings = settings
        self.clock = clock or SystemClock()
        self.huey = _build_huey(settings)
        self.runtimes = Runtimes(settings, self.clock, self.enqueue)
        self._tasks: dict[str, TaskWrapper] = {}
        self._specs: dict[str, JobSpec] = {}
        watches: list[JobSpec] = []
        for spec in jobs:
            # A disabled service's jobs stay unbound even where another queue imported them.
            if spec.fn.__module__ in off:
                continue
            if spec.every is not None:
                watches.append(spec)
            else:
                self._bind(spec)
        self.watcher = Watcher(watches, self.runtimes)
        self.huey.signal(signals.SIGNAL_ERROR)(self._on_error)
        self._consumer: Consumer | None = None

    def lend(self, name: str, thing: Any) -> None:
        """Let this process's workers use ``thing`` (``JobContext.lent[name]``); ``None`` takes
        it back. Workers in another process never see it."""
        if thing is None:
            self.runtimes.lent.pop(name, None)
        else:
            self.runtimes.lent[name] = thing

    @property
    def backend(self) -> str:
        return self.settings.jobs_backend

    def _bind(self, spec: JobSpec) -> None:
        runtimes = self.runtimes

        def run(*args: Any) -> Any:
            runtime = runtimes.current()
            return runtime.run(spec(runtime.context, *args))

        run.__name__ = spec.name
        if spec.schedule is not None:
            wrapper = self.huey.periodic_task(spec.schedule, name=spec.name)(run)
        else:
            wrapper = self.huey.task(
                retries=spec.retries,
                retry_delay=spec.retry_delay,
                retry_backoff=spec.backoff,
                name=spec.name,
            )(run)
        self._tasks[spec.name] = wrapper
        self._specs[spec.name] = spec

    def _on_error(self, signal: str, task: Task, exc: BaseException | None = None) -> None:
        if task.retries:  # huey will run it again
            return
        spec = self._specs.get(task.name)
        runtime = self.runtimes.current()
        failure = JobFailure(
            job_name=task.name,
            task_id=task.id,
            args=list(task.args),
            attempts=(spec.retries if spec else 0) + 1,
            error_type=type(exc).__name__ if exc else "Error",
            error_message=mask_phone_numbers(str(exc))[:2000] if exc else "",
            failed_at=self.clock.now(),
        )

        async def record() -> None:
            async with runtime.context.db.session() as session:
                session.add(failure)

        runtime.run(record())
        log.error("job_failed", job=task.name, task_id=task.id, attempts=failure.attempts)

    # -- enqueueing ----------------------------------------------------------------------------

    def enqueue_now(self, job: JobSpec | str, *args: Any, delay: float | None = None) -> str:
        """Enqueue from synchronous code; returns the task id."""
        name = job if isinstance(job, str) else job.name
        try:
            wrapper = self._tasks[name]
        except KeyError:
            raise NotFound(f"no job named {name!r}") from None
        pause, deadline = 0.1, time.monotonic() + ENQUEUE_PATIENCE
        while True:
            try:
                result = wrapper.schedule(args, delay=delay) if delay else wrapper(*args)
                return str(result.id)
            except UNREACHABLE as exc:
                error = type(exc).__name__
                if time.monotonic() + pause > deadline:
                    log.error("job_queue_unreachable", job=name, backend=self.backend, error=error)
                    raise ServiceUnavailable(
                        "the job queue cannot be reached just now, so nothing was started: "
                        "try again in a minute"
                    ) from exc
                log.warning("job_queue_retrying", job=name, backend=self.backend, error=error)
                time.sleep(pause)  # on the enqueuer's thread (``enqueue`` runs it in one)
                pause = min(pause * 2, 1.0)

    async def enqueue(self, job: JobSpec | str, *args: Any, delay: float | None = None) -> str:
        """Enqueue from async code without blocking the loop on the queue's I/O."""
        return await asyncio.to_thread(self.enqueue_now, job, *args, delay=delay)

    def result(self, task_id: str, *, timeout: float) -> Any:
        """Block until the job's return value is stored; raises huey's TaskException on failure."""
        return self.huey.result(task_id, blocking=True, timeout=timeout)

    def specs(self) -> list[JobSpec]:
        """The jobs bound to this queue (the core's and the enabled services'), by name."""
        return sorted(self._specs.values(), key=lambda spec: spec.name)

    def pending(self) -> int:
        return int(self.huey.pending_count()) + int(self.huey.scheduled_count())

    # -- failed jobs ---------------------------------------------------------------------------

    async def failures(self, db: Database, *, limit: int = 100) -> Sequence[JobFailure]:
        async with db.session() as session:
            rows = await session.scalars(
                select(JobFailure).order_by(JobFailure.failed_at.desc()).limit(limit)
            )
            return rows.all()

    async def retry_failure(self, db: Database, failure_id: str) -> str:
        async with db.session() as session:
            failure = await session.get(JobFailure, failure_id)
            if failure is None:
                raise NotFound(f"no failed job {failure_id!r}")
            if failure.retried_at is not None:
                raise NotFound(f"failed job {failure_id!r} was already retried")
            task_id = await self.enqueue(failure.job_name, *failure.args)
            failure.retried_at = dt.datetime.now(dt.UTC)
            return task_id

    # -- consuming -----------------------------------------------------------------------------

    def consumer(self, *, workers: int | None = None, in_process: bool = False) -> Consumer:
        cls = _InProcessConsumer if in_process else Consumer
        return cls(
            self.huey,
            workers=workers or self.settings.jobs.workers,
            worker_type="thread",
            initial_delay=0.05,
            max_delay=1.0,
            backoff=1.5,
            periodic=True,
            check_worker_health=True,
            shutdown_timeout=30,
        )

    def start(self, *, workers: int | None = None) -> None:
        """Start worker threads in this process (the embedded mode of ``ringfence serve``)."""
        self._consumer = self.consumer(workers=workers, in_process=True)
        self._consumer.start()
        self.watcher.start()

    def stop(self) -> None:
        self.watcher.stop()
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
            self._consumer = None
        self.runtimes.close()

    def run_forever(self, *, workers: int | None = None) -> None:
        """Run a blocking consumer with its own signal handling (``ringfence worker``)."""
        self.watcher.start()
        try:
            self.consumer(workers=workers).run()
        finally:
            self.watcher.stop()
            self.runtimes.close()
