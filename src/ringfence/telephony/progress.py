"""Live progress of calls this process placed for a page, for its event stream.

Each call has a list of states (dialling, ringing, answered, ended) that readers follow from the
start, so a page that connects late still sees every step. Finished calls are forgotten after
``KEEP_FINISHED`` seconds; a service reads a call placed by another process from its own log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

KEEP_FINISHED = 300.0


@dataclass
class Progress:
    id: str
    visitor: str  # who asked (a keyed visitor ref or an account ref): only they may watch
    kind: str  # ring | optout | dial
    steps: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def finished(self) -> bool:
        return bool(self.steps) and self.steps[-1]["state"] == "ended"

    async def step(self, state: str, **detail: Any) -> None:
        async with self.changed:
            self.steps.append({"state": state, **detail})
            self.changed.notify_all()

    async def follow(self) -> AsyncIterator[dict[str, Any]]:
        seen = 0

        def more() -> bool:
            return len(self.steps) > seen

        while True:
            async with self.changed:
                await self.changed.wait_for(more)
                new = self.steps[seen:]
            for step in new:
                yield step
            seen += len(new)
            if new[-1]["state"] == "ended":
                return


class Tracker:
    def __init__(self) -> None:
        self._rings: dict[str, Progress] = {}

    def start(self, ring_id: str, visitor: str, kind: str) -> Progress:
        progress = Progress(ring_id, visitor, kind)
        self._rings[ring_id] = progress
        return progress

    def get(self, ring_id: str) -> Progress | None:
        return self._rings.get(ring_id)

    def finished(self, ring_id: str) -> None:
        asyncio.get_running_loop().call_later(KEEP_FINISHED, self._rings.pop, ring_id, None)
