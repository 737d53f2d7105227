"""The prices the operator sets in the console: per-destination overrides of the rate table.

The effective table is the operator's CSV (``billing.rates_file``, when there is one) with every
override replacing the CSV's line of the same prefix or adding a new one; the longest matching
prefix still wins. Overrides live in the store, so every process (web, job workers) charges the
same price from the moment it is saved, and a default install with no CSV can be given prices
from the console alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.billing.models import RateOverride
from ringfence.billing.rates import Rate, RateTable
from ringfence.clock import Clock
from ringfence.errors import InvalidInput, NotFound

MAX_PRICE = 1_000_000  # minor units a minute: far above any real destination, below overflow


def checked(rate: Rate, currency: str) -> Rate:
    """The rate, if it is one the operator may set (InvalidInput says what is wrong)."""
    if not rate.prefix.isdigit() or not 1 <= len(rate.prefix) <= 15:
        raise InvalidInput("the prefix is 1 to 15 digits of an E.164 number, without +")
    if not 0 <= rate.price_per_minute <= MAX_PRICE or not 0 <= rate.connection_fee <= MAX_PRICE:
        raise InvalidInput(f"prices are whole minor units (cents) from 0 to {MAX_PRICE}")
    if not 1 <= rate.first <= 3600 or not 1 <= rate.step <= 3600:
        raise InvalidInput("billing increments are 1 to 3600 seconds")
    if rate.currency != currency.upper():
        raise InvalidInput(f"prices are in {currency.upper()}, the installation's currency")
    if len(rate.name) > 80:
        raise InvalidInput("the destination's name has at most 80 characters")
    return rate


class Prices:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def overrides(self, session: AsyncSession) -> Sequence[RateOverride]:
        return (await session.scalars(select(RateOverride).order_by(RateOverride.prefix))).all()

    async def table(self, session: AsyncSession, base: RateTable | None) -> RateTable:
        """The rate table in force: ``base`` (the CSV's) with the overrides applied."""
        rates = {rate.prefix: rate for rate in (base.rates if base is not None else [])}
        for found in await self.overrides(session):
            rates[found.prefix] = Rate(
                prefix=found.prefix,
                price_per_minute=found.price_per_minute,
                first=found.first,
                step=found.step,
                connection_fee=found.connection_fee,
                currency=found.currency,
                name=found.name,
            )
        return RateTable(list(rates.values()))

    async def set(self, session: AsyncSession, rate: Rate, currency: str) -> None:
        """Store the operator's price for ``rate.prefix`` (replacing one set before)."""
        checked(rate, currency)
        found = await session.get(RateOverride, rate.prefix)
        if found is None:
            found = RateOverride(prefix=rate.prefix)
            session.add(found)
        found.price_per_minute = rate.price_per_minute
        found.first, found.step = rate.first, rate.step
        found.connection_fee = rate.connection_fee
        found.currency = rate.currency
        found.name = rate.name
        found.updated_at = self.clock.now()

    async def remove(self, session: AsyncSession, prefix: str) -> None:
        result = await session.execute(delete(RateOverride).where(RateOverride.prefix == prefix))
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound("no price was set for that prefix")
