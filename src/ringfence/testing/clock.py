"""A clock that moves only when told to, so time-based rules are tested without sleeping."""

from __future__ import annotations

import datetime as dt
import time


class FakeClock:
    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
        self._mono = 0.0

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, **delta: float) -> None:
        step = dt.timedelta(**delta)
        self._now += step
        self._mono += step.total_seconds()

    def set(self, when: dt.datetime) -> None:
        self._now = when


class MovedClock:
    """Real time, moved to a chosen moment: it runs on from ``start`` as the system clock does
    (a live call's timers need time to pass), and ``set`` jumps it, so a test reaches a
    time hours away without waiting for it."""

    def __init__(self, start: dt.datetime) -> None:
        self._base = start
        self._since = time.monotonic()

    def now(self) -> dt.datetime:
        return self._base + dt.timedelta(seconds=time.monotonic() - self._since)

    def monotonic(self) -> float:
        return time.monotonic()

    def set(self, when: dt.datetime) -> None:
        self._base, self._since = when, time.monotonic()
