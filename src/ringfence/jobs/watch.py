"""Watches: short checks that every live worker process runs every few seconds, off the queue.

huey runs periodic tasks at most once a minute, and a job is lost with the worker process that
was running it. A watch runs on a thread of its own in every process that consumes the queue
(``ringfence worker``, and the in-process consumer of ``ringfence serve``), so while any worker
lives, every watch runs within its interval of the last run. Several processes run the same
watch at once: what it finds, it claims in the database (an ``UPDATE ... WHERE`` only one
process wins) before acting on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from ringfence.jobs.registry import JobSpec
from ringfence.jobs.runtime import Runtimes
from ringfence.logging import get_logger

log = get_logger(__name__)


class Watcher:
    """Runs ``watches`` on one thread with its own runtime (event loop, database handle)."""

    def __init__(self, watches: Sequence[JobSpec], runtimes: Runtimes) -> None:
        self._watches = list(watches)
        self._runtimes = runtimes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self._watches or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ringfence-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the watch running now (if any) is done."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        runtime = self._runtimes.current()
        due = dict.fromkeys((w.name for w in self._watches), 0.0)
        while not self._stop.is_set():
            for watch in self._watches:
                if time.monotonic() < due[watch.name]:
                    continue
                try:
                    runtime.run(watch(runtime.context))
                except Exception:
                    log.exception("watch_failed", watch=watch.name)
                assert watch.every is not None
                due[watch.name] = time.monotonic() + watch.every
            self._stop.wait(max(0.0, min(due.values()) - time.monotonic()))
