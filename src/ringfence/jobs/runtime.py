"""One event loop and one database handle per worker thread.

huey runs each job on a worker thread. Our jobs are coroutines on the async store, whose connections
belong to the loop that opened them, so every worker thread keeps its own loop and ``Database`` for
its whole life instead of paying a new engine per job.

The loop runs only while a job does. Work a job leaves behind on it (a call's record, written
by a task after the call ends) would stop wherever it was when the job returned, and a
transaction it had open would stay open until the thread's next job: on SQLite that held the
one write lock (issue 18: an evaluation locked SQLite for about a minute, until the periodic
campaign watch ran on that thread). So after each job the loop keeps running until every
connection the thread's database lent is given back (``SETTLE_SECONDS`` at most).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy import event

from ringfence.clock import Clock
from ringfence.jobs.context import JobContext
from ringfence.logging import get_logger
from ringfence.settings import Settings
from ringfence.store.database import Database

log = get_logger(__name__)
T = TypeVar("T")
Enqueue = Callable[..., Awaitable[str]]
SETTLE_SECONDS = 30.0


class ThreadRuntime:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        enqueue: Enqueue | None = None,
        lent: dict[str, Any] | None = None,
    ) -> None:
        self.loop = asyncio.new_event_loop()
        db = Database(settings.resolved_database_url)
        self.context = JobContext(settings, db, clock, enqueue, lent if lent is not None else {})
        self._given_back = asyncio.Event()
        event.listen(db.engine.sync_engine.pool, "checkin", lambda *_: self._given_back.set())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            return self.loop.run_until_complete(coro)
        finally:
            self.loop.run_until_complete(self._settle())

    async def _settle(self) -> None:
        """Run what the job left on this loop until it gives its connections back."""
        lent: Callable[[], int] = self.context.db.engine.pool.checkedout  # type: ignore[attr-defined]
        try:
            async with asyncio.timeout(SETTLE_SECONDS):
                while lent():
                    self._given_back.clear()
                    await self._given_back.wait()
        except TimeoutError:
            log.error("job_left_connections", connections=lent())

    def close(self) -> None:
        if self.loop.is_running():  # its thread is still in a job the consumer gave up on
            return
        self.loop.run_until_complete(self.context.close())
        self.loop.run_until_complete(self.context.db.dispose())
        self.loop.close()


class Runtimes:
    """The runtimes of one queue's worker threads, closed together when the workers stop."""

    def __init__(self, settings: Settings, clock: Clock, enqueue: Enqueue | None = None) -> None:
        self._settings = settings
        self._clock = clock
        self._enqueue = enqueue
        self.lent: dict[str, Any] = {}  # one dict, seen by every thread's context
        self._local = threading.local()
        self._all: list[ThreadRuntime] = []
        self._lock = threading.Lock()

    def current(self) -> ThreadRuntime:
        runtime: ThreadRuntime | None = getattr(self._local, "runtime", None)
        if runtime is None:
            runtime = ThreadRuntime(self._settings, self._clock, self._enqueue, self.lent)
            self._local.runtime = runtime
            with self._lock:
                self._all.append(runtime)
        return runtime

    def close(self) -> None:
        with self._lock:
            runtimes, self._all = self._all, []
        for runtime in runtimes:
            runtime.close()
        self._local = threading.local()
