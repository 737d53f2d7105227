"""Bans of reported IP addresses, for as long as the inventory keeps the ban record.

Every connection and every join asks whether its address is banned; the answers are cached in
the process for ``CACHE_SECONDS`` (the store is asked again after that), which took the store
off the hot path of matching. A ban applies at once in the process that issued it, and the
reported connection is closed at once wherever it is; another process refuses new connections
from that address within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import select

from ringfence.clock import Clock
from ringfence.errors import InvalidInput
from ringfence.privacy.inventory import Inventory
from ringfence.services.roulette.models import BAN, Ban
from ringfence.store.database import Database

CACHE_SECONDS = 10.0
CACHE_MAX = 100_000
# Why a person may be reported: the report names one (the page asks before it sends).
REASONS = {
    "sexual": "Nudity or sexual content",
    "harassment": "Harassment, threats or hate",
    "minor": "They seem to be under 18",
    "spam": "Spam, scams or advertising",
    "other": "Something else against the rules",
}


def ban_length(inventory: Inventory) -> dt.timedelta:
    """How long a reported address is kept out: as long as the inventory keeps a ban."""
    return dt.timedelta(days=inventory[BAN].retention.days or 30)


class Bans:
    def __init__(self, db: Database, inventory: Inventory, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.length = ban_length(inventory)
        self._cache: dict[str, tuple[float, dt.datetime | None]] = {}

    async def until(self, ip_key: str) -> dt.datetime | None:
        """When the address's ban ends, if it is banned."""
        cached = self._cache.get(ip_key)
        if cached is not None and cached[0] > time.monotonic():
            found = cached[1]
        else:
            async with self.db.session() as session:
                found = await session.scalar(
                    select(Ban.until)
                    .where(Ban.ip_key == ip_key, Ban.until > self.clock.now())
                    .order_by(Ban.until.desc())
                    .limit(1)
                )
            self._remember(ip_key, found)
        return found if found is not None and found > self.clock.now() else None

    async def ban(self, ip_key: str, reason: str) -> dt.datetime:
        """Ban a reported address for the ban's length, keeping why it was reported."""
        if reason not in REASONS:
            raise InvalidInput("say why you report them: " + ", ".join(REASONS))
        now = self.clock.now()
        until = now + self.length
        async with self.db.session() as session:
            session.add(Ban(ip_key=ip_key, created_at=now, until=until, reason=reason))
        self._remember(ip_key, until)
        return until

    def _remember(self, ip_key: str, until: dt.datetime | None) -> None:
        if len(self._cache) >= CACHE_MAX:
            now = time.monotonic()
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
        self._cache[ip_key] = (time.monotonic() + CACHE_SECONDS, until)
