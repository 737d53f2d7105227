"""The Socket.IO message queue between roulette's processes (python-socketio's Redis manager),
with a bounded wait between reconnects.

The library's listener waits 1 s after losing Redis and doubles the wait after each failed
reconnect up to 60 s, so a 15-s Redis restart left a process deaf to the others for another
16 s, and a longer outage for a minute more: every event relayed to its people meanwhile is
dropped. Here the wait starts at ``RECONNECT_FIRST`` and stops growing at ``RECONNECT_MOST``;
it starts again from the first once the channel is subscribed again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import socketio

from ringfence.logging import get_logger

log = get_logger(__name__)

RECONNECT_FIRST = 0.25
RECONNECT_MOST = 2.0


class RedisRelay(socketio.AsyncRedisManager):  # type: ignore[misc]
    async def _drop_connection(self) -> None:
        """Close the lost connection's client before the next one replaces it."""
        for client in (self.pubsub, self.redis):
            if client is not None:
                with contextlib.suppress(Exception):  # it is broken already
                    await client.aclose()

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        wait = RECONNECT_FIRST
        subscribed = lost = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    if lost:
                        log.info("roulette_relay_subscribed")
                    subscribed, lost, wait = True, False, RECONNECT_FIRST
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:  # whatever Redis's client raised: connect again
                log.warning("roulette_relay_reconnecting", wait=wait, error=type(exc).__name__)
                subscribed, lost = False, True
                await self._drop_connection()
                await asyncio.sleep(wait)
                wait = min(wait * 2, RECONNECT_MOST)
