"""Usage prices: what the operator charges for a use of a service on top of the call's rate
(``billing.rates``), such as a minute of an AI agent or each call a campaign places. Prices
live in the store so every process charges the same from the moment one is saved; a name never
saved costs nothing. Each kind of use has a name (``KINDS``) that the service charging it looks up.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.billing.models import UsagePrice
from ringfence.billing.prices import MAX_PRICE
from ringfence.clock import Clock
from ringfence.errors import InvalidInput

AGENT_MINUTE = "agent_minute"
CAMPAIGN_CALL = "campaign_call"
# What each price is for, as the console labels it.
KINDS = {
    AGENT_MINUTE: "An AI agent's minute, on top of the call's rate",
    CAMPAIGN_CALL: "Each call a campaign places, on top of its minutes",
}


class UsagePrices:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def get(self, session: AsyncSession, name: str) -> int:
        """The price in minor units (0 when the operator set none)."""
        price = await session.scalar(select(UsagePrice.price).where(UsagePrice.name == name))
        return int(price or 0)

    async def all(self, session: AsyncSession) -> dict[str, int]:
        rows = await session.execute(select(UsagePrice.name, UsagePrice.price))
        return {name: price for name, price in rows.all()}

    async def set(self, session: AsyncSession, name: str, price: int) -> None:
        if name not in KINDS:
            raise InvalidInput(f"no price is called {name[:40]!r}")
        if not 0 <= price <= MAX_PRICE:
            raise InvalidInput(f"prices are whole minor units (cents) from 0 to {MAX_PRICE}")
        row = await session.get(UsagePrice, name)
        if row is None:
            session.add(UsagePrice(name=name, price=price, updated_at=self.clock.now()))
        else:
            row.price, row.updated_at = price, self.clock.now()
