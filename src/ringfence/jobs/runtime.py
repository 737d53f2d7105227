"""One event loop and one database handle per worker thread.

huey runs each job on a worker thread. Our jobs are coroutines on the async store, whose connections
belong to the loop that opened them, so every worker thread keeps its own loop and ``Database`` for
its whole life instead of paying a new engine per job.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from ringfence.clock import Clock
from ringfence.jobs.context import JobContext
from ringfence.settings import Settings
from ringfence.store.database import Database

T = TypeVar("T")
Enqueue = Callable[..., Awaitable[str]]


class ThreadRuntime:
    def __init__(self, settings: Settings, clock: Clock, enqueue: Enqueue | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        db = Database(settings.resolved_database_url)
        self.context = JobContext(settings, db, clock, enqueue)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

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
        self._local = threading.local()
        self._all: list[ThreadRuntime] = []
        self._lock = threading.Lock()

    def current(self) -> ThreadRuntime:
        runtime: ThreadRuntime | None = getattr(self._local, "runtime", None)
        if runtime is None:
            runtime = ThreadRuntime(self._settings, self._clock, self._enqueue)
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
