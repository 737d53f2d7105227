"""One 20 ms media clock for every call in the process, instead of a timer per call.

Each tick sends the next frame of every answered call. The schedule is absolute (start time plus
n ticks), so a late tick does not push the next ones later; if the loop falls more than a few
ticks behind, the clock skips ahead rather than bursting (a burst would overflow jitter buffers).
With no call on it, the clock waits for one instead of ticking (an idle engine, such as the test
phone's on a default install, costs no wake-ups).
"""

from __future__ import annotations

import asyncio

from ringfence.logging import get_logger
from ringfence.media.frames import FRAME_MS
from ringfence.telephony.calls import Call

log = get_logger(__name__)
TICK = FRAME_MS / 1000
MAX_LAG_TICKS = 5


class MediaClock:
    def __init__(self) -> None:
        self._calls: dict[str, Call] = {}
        self._task: asyncio.Task[None] | None = None
        self._busy = asyncio.Event()
        self.ticks = 0
        self.skipped = 0

    def add(self, call: Call) -> None:
        self._calls[call.id] = call
        self._busy.set()

    def remove(self, call: Call) -> None:
        self._calls.pop(call.id, None)
        if not self._calls:
            self._busy.clear()

    def __len__(self) -> int:
        return len(self._calls)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="media-clock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._busy.wait()
            await self._tick_while_busy(loop)

    async def _tick_while_busy(self, loop: asyncio.AbstractEventLoop) -> None:
        start = loop.time()
        n = 0
        while self._calls:
            n += 1
            delay = start + n * TICK - loop.time()
            if delay < -MAX_LAG_TICKS * TICK:
                behind = int(-delay / TICK)
                self.skipped += behind
                n += behind
                delay = start + n * TICK - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.ticks += 1
            for call in list(self._calls.values()):
                media = call.media
                if media is None or call.ended or call.on_hold:
                    continue  # on hold the other side asked us not to send
                try:
                    media.send(call.next_frame())
                except Exception:  # one broken stream must not stop the others
                    log.exception("media_send_failed", call=call.id)
