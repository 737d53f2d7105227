"""Reads that lost their database connection are run once more.

When PostgreSQL drops a connection under a statement (a restart, a failover, a terminated
backend), the request using it fails although a new connection, which the pool makes at once,
would answer it. A GET or HEAD (which changes nothing, so running it twice is harmless) that
raised ``store.database.dropped_connection`` before anything of its answer was sent is run
again, once. Writes are not: whether the lost transaction committed is unknown to us.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringfence.logging import get_logger
from ringfence.store.database import dropped_connection

log = get_logger(__name__)
READS = frozenset({"GET", "HEAD"})


class RetryDroppedReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in READS:
            await self.app(scope, receive, send)
            return
        sent = False

        async def watched(message: Message) -> None:
            nonlocal sent
            sent = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if sent or not dropped_connection(exc):
                raise
            log.warning("read_retried", path=scope["path"], error=type(exc.orig).__name__)
            await self.app(scope, receive, send)
