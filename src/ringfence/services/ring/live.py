"""Rings in progress in this process, and who may cancel them.

The page that asks for a ring gets a cancel token with the ring's id: a capability, 32 random
bytes, shown to that page only. This process keeps its SHA-256 (never the token), with the call
once it is placed, so a Cancel from that page ends the call at once (CANCEL while it rings, BYE
once answered) and nobody else's request can. Nothing of it is stored: it lives as long as the
ring's progress (``telephony.progress.KEEP_FINISHED`` after its end).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from ringfence.errors import Conflict, Forbidden, NotFound
from ringfence.telephony import Call
from ringfence.telephony.progress import KEEP_FINISHED, Progress


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(eq=False)
class LiveRing:
    progress: Progress
    token_digest: bytes
    call: Call | None = None  # None until the gate has placed it
    cancelled: bool = False

    def opens(self, token: str) -> bool:
        return hmac.compare_digest(self.token_digest, _digest(token))

    async def cancel(self) -> None:
        """Mark the ring cancelled and end its call if it has one; a call still being placed
        is ended as soon as it is (``RingService._place``)."""
        self.cancelled = True
        if self.call is not None:
            await self.call.hangup()


class LiveRings:
    def __init__(self) -> None:
        self._rings: dict[str, LiveRing] = {}

    def start(self, progress: Progress) -> tuple[LiveRing, str]:
        """The ring's live record and its cancel token (for the asking page only)."""
        token = secrets.token_urlsafe(32)
        live = LiveRing(progress, _digest(token))
        self._rings[progress.id] = live
        return live, token

    def get(self, ring_id: str) -> LiveRing | None:
        return self._rings.get(ring_id)

    def for_cancel(self, ring_id: str, token: str) -> LiveRing:
        """The ring ``token`` may cancel; NotFound, Forbidden or Conflict saying why not."""
        live = self._rings.get(ring_id)
        if live is None:
            raise NotFound(
                "no ring in progress on this server has this id: it ended a while ago, or "
                "never started"
            )
        if not live.opens(token):
            raise Forbidden("only the page that asked for this ring can cancel it")
        if live.cancelled or live.progress.finished:
            raise Conflict("this ring has already ended (or been cancelled): nothing to cancel")
        return live

    def finished(self, ring_id: str) -> None:
        asyncio.get_running_loop().call_later(KEEP_FINISHED, self._rings.pop, ring_id, None)
