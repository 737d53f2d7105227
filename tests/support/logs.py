"""Log events as they happen, from any thread, with a way to await the one a test waits for."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog


class LogWatch:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.entries: list[MutableMapping[str, Any]] = []
        self._loop = loop
        self._changed = asyncio.Event()

    def __call__(self, _logger: Any, method: str, event: MutableMapping[str, Any]) -> Any:
        event["log_level"] = method
        self.entries.append(event)
        self._loop.call_soon_threadsafe(self._changed.set)
        raise structlog.DropEvent

    def count(self, name: str) -> int:
        return sum(e["event"] == name for e in self.entries)

    def named(self, name: str) -> list[MutableMapping[str, Any]]:
        return [e for e in self.entries if e["event"] == name]

    async def until(self, name: str, count: int = 1, seconds: float = 30) -> None:
        """Wait until ``name`` was logged ``count`` times; ``seconds`` at most."""
        async with asyncio.timeout(seconds):
            while self.count(name) < count:
                self._changed.clear()
                await self._changed.wait()


@contextmanager
def watched_logs() -> Iterator[LogWatch]:
    """Like ``structlog.testing.capture_logs`` (the processors list changed in place, so loggers
    cached already see it too), with events awaitable from the running loop."""
    watch = LogWatch(asyncio.get_running_loop())
    processors = structlog.get_config()["processors"]
    saved = processors.copy()
    processors.clear()
    processors.append(watch)
    structlog.configure(processors=processors)
    try:
        yield watch
    finally:
        processors.clear()
        processors.extend(saved)
        structlog.configure(processors=processors)
