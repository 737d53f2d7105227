"""The test phone's lines: which browser tab answers which number, and how many may be open.

A browser (its anonymous id) holds one line at a time: a second tab of the same browser takes the
line over, and the tab it replaces is told so. A browser gets back the number it had before when
that number is free, so a reload keeps it; a new browser gets a random number that no other
browser had recently. Limits: ``lines`` open across the server, ``lines_per_ip`` from one
address. Everything is in memory: a line lives as long as its tab's connection.
"""

from __future__ import annotations

import collections
import random
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ringfence.errors import RateLimited, ServiceUnavailable
from ringfence.settings import TestPhoneSettings
from ringfence.telephony.fiction import PLATFORM_NUMBER, SIZE, number_at

Notify = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(eq=False)
class Line:
    """One registered test phone: its number, whose it is, and the tab's message channel."""

    number: str
    owner: str  # the browser: a keyed reference of its anonymous id
    ip: str
    notify: Notify  # sends one message to the tab
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


class Lines:
    def __init__(self, settings: TestPhoneSettings, rng: random.Random | None = None) -> None:
        self.settings = settings
        self._rng = rng or secrets.SystemRandom()
        self._by_number: dict[str, Line] = {}
        self._by_owner: dict[str, Line] = {}
        # Each browser's last number, newest last (at most one per number in the range).
        self._kept: collections.OrderedDict[str, str] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._by_number)

    def get(self, number: str) -> Line | None:
        return self._by_number.get(number)

    def register(self, owner: str, ip: str, notify: Notify) -> tuple[Line, Line | None]:
        """A line for ``owner``'s tab, and the line of the tab it replaces (if any), which is
        released already; RateLimited or ServiceUnavailable when the limits are reached."""
        replaced = self._by_owner.get(owner)
        if replaced is not None:
            self.release(replaced)
        if len(self._by_number) >= self.settings.lines:
            raise ServiceUnavailable(
                f"all {self.settings.lines} test phones of this server are in use: try later"
            )
        from_ip = sum(1 for line in self._by_number.values() if line.ip == ip)
        if from_ip >= self.settings.lines_per_ip:
            raise RateLimited(
                f"{from_ip} test phones are open from your network already: close one first"
            )
        line = Line(self._number_for(owner), owner, ip, notify)
        self._by_number[line.number] = line
        self._by_owner[owner] = line
        self._kept.pop(owner, None)
        self._kept[owner] = line.number
        while len(self._kept) > SIZE:
            self._kept.popitem(last=False)
        return line, replaced

    def release(self, line: Line) -> bool:
        """Free the line's number (the browser keeps a claim to it); False if it was not open."""
        if self._by_number.get(line.number) is not line:
            return False
        del self._by_number[line.number]
        if self._by_owner.get(line.owner) is line:
            del self._by_owner[line.owner]
        return True

    def _number_for(self, owner: str) -> str:
        previous = self._kept.get(owner)
        if previous is not None and previous not in self._by_number:
            return previous
        claimed = set(self._kept.values())
        free = [
            number
            for number in (number_at(i) for i in range(SIZE))
            if number not in self._by_number and number != PLATFORM_NUMBER
        ]
        unclaimed = [number for number in free if number not in claimed]
        return self._rng.choice(unclaimed or free)
