"""What a running job may use: settings, its own database handle, the clock, the queue, and
resources its thread keeps between jobs (a telephony engine, say), closed when the thread stops."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ringfence.clock import Clock
from ringfence.settings import Settings
from ringfence.store.database import Database

T = TypeVar("T")
Closer = Callable[[], Awaitable[None]]
Maker = Callable[["JobContext"], Awaitable[tuple[T, Closer]]]


@dataclass
class JobContext:
    settings: Settings
    db: Database
    clock: Clock
    # Enqueue another job (a job that continues later enqueues itself with a delay).
    enqueue: Callable[..., Awaitable[str]] | None = None
    # What the process that runs the workers lends them by name (the app's test phone, say):
    # shared by every worker thread, owned and closed by the lender.
    lent: dict[str, Any] = field(default_factory=dict)
    _resources: dict[str, Any] = field(default_factory=dict)
    _closers: list[Closer] = field(default_factory=list)

    async def resource(self, name: str, make: Maker[T]) -> T:
        """The thread's ``name``, made by ``make`` the first time (it returns the resource
        and how to close it)."""
        if name not in self._resources:
            made, close = await make(self)
            self._resources[name] = made
            self._closers.append(close)
        found: T = self._resources[name]
        return found

    async def close(self) -> None:
        closers, self._closers = self._closers, []
        self._resources.clear()
        for close in reversed(closers):
            await close()
