"""Job definitions: what can run in the background, declared where the work lives.

A capability declares its jobs at import time on the shared ``registry``::

    @registry.job(retries=5, retry_delay=2.0, backoff=2.0)
    async def transcribe(ctx: JobContext, recording_id: str) -> None: ...

and ``JobQueue`` binds every declared job to the queue backend when it is built from settings, so
nothing touches a server or a file at import. Arguments must be JSON values (ids, not objects):
they are stored in the queue and, for a failed job, in the ``job_failures`` table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from huey import crontab

if TYPE_CHECKING:
    from ringfence.jobs.context import JobContext

JobFn = Callable[..., Awaitable[Any]]

__all__ = ["JobRegistry", "JobSpec", "crontab", "registry"]


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: JobFn
    retries: int = 3
    retry_delay: float = 1.0
    backoff: float = 2.0
    # A huey crontab predicate for periodic jobs; None for jobs that are enqueued.
    schedule: Callable[..., bool] | None = None
    # Seconds between runs of a watch (``jobs/watch.py``): run by every worker process.
    every: float | None = None

    async def __call__(self, ctx: JobContext, *args: Any) -> Any:
        return await self.fn(ctx, *args)


class JobRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, JobSpec] = {}

    def __iter__(self) -> Any:
        return iter(self._specs.values())

    def __getitem__(self, name: str) -> JobSpec:
        return self._specs[name]

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def _add(self, spec: JobSpec) -> JobSpec:
        existing = self._specs.get(spec.name)
        if existing is not None and existing.fn is not spec.fn:
            raise ValueError(f"two jobs are named {spec.name!r}")
        self._specs[spec.name] = spec
        return spec

    def job(
        self,
        *,
        name: str | None = None,
        retries: int = 3,
        retry_delay: float = 1.0,
        backoff: float = 2.0,
    ) -> Callable[[JobFn], JobSpec]:
        """Declare an enqueueable job; a raise is retried ``retries`` times, the delay growing by
        ``backoff`` each time, and then recorded as failed."""

        def register(fn: JobFn) -> JobSpec:
            job_name = name or f"{fn.__module__}.{fn.__qualname__}"
            return self._add(JobSpec(job_name, fn, retries, retry_delay, backoff))

        return register

    def periodic(
        self, schedule: Callable[..., bool], *, name: str | None = None
    ) -> Callable[[JobFn], JobSpec]:
        """Declare a job that the scheduler runs on ``schedule`` (``crontab(minute="*/15")``)."""

        def register(fn: JobFn) -> JobSpec:
            job_name = name or f"{fn.__module__}.{fn.__qualname__}"
            return self._add(JobSpec(job_name, fn, retries=0, schedule=schedule))

        return register

    def watch(self, every: float, *, name: str | None = None) -> Callable[[JobFn], JobSpec]:
        """Declare a watch: every worker process runs it every ``every`` seconds on a thread of
        its own, not through the queue (``jobs/watch.py``); it claims what it acts on."""

        def register(fn: JobFn) -> JobSpec:
            job_name = name or f"{fn.__module__}.{fn.__qualname__}"
            return self._add(JobSpec(job_name, fn, retries=0, every=every))

        return register


registry = JobRegistry()
