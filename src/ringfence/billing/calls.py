"""What a call costs an account, around the call: priced from the operator's rate table (with
the prices set in the console, ``billing.prices``), the
most the balance pays for reserved before the INVITE (which also caps the call's length), and
the exact charge for the billed duration settled at the end, the rest released. dial's browser
calls and agents' evaluation calls are charged the same way. While the built-in test phone is
the carrier, calls to its numbers cost nothing (they never leave this machine), with or
without a rate table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.billing.ledger import InsufficientCredit, Ledger, Reservation, wallet
from ringfence.billing.prices import Prices
from ringfence.billing.rates import Rate, RateTable
from ringfence.clock import Clock
from ringfence.errors import ServiceUnavailable
from ringfence.settings import Settings
from ringfence.telephony.fiction import PREFIX as TEST_PHONE_PREFIX


@dataclass(frozen=True)
class Hold:
    """A call's reservation, the rate it is charged at and the longest it may last."""

    reservation: Reservation
    rate: Rate
    max_seconds: int


class CallCharges:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.ledger = Ledger(clock)
        self.prices = Prices(clock)
        self.currency = settings.billing.currency.upper()
        self._file: RateTable | None = None

    def file_rates(self) -> RateTable | None:
        """The operator's CSV rate table, read once, if there is one."""
        path = self.settings.billing.rates_file
        if self._file is None and path is not None:
            self._file = RateTable.load(path)
        return self._file

    async def rates(self, session: AsyncSession) -> RateTable:
        """The rate table in force; ServiceUnavailable (503) when there is no rate at all."""
        table = await self.prices.table(session, self.file_rates())
        if self.settings.telephony.builtin_test_phone:
            free = Rate(TEST_PHONE_PREFIX, 0, 1, 1, 0, self.currency, "test phone")
            table = RateTable([free, *table.rates])
        if not len(table):
            raise ServiceUnavailable("calling is not set up: the operator has no rate table")
        return table

    async def rate(self, session: AsyncSession, e164: str) -> Rate:
        """The rate for a number (Forbidden when the destination is not offered)."""
        rate = (await self.rates(session)).lookup(e164)
        if rate.currency != self.currency:
            raise ServiceUnavailable("this destination is priced in another currency")
        return rate

    async def balance(self, session: AsyncSession, account_id: str) -> int:
        return await self.ledger.balance(session, wallet(account_id), self.currency)

    async def affordable(self, session: AsyncSession, account_id: str, rate: Rate) -> int:
        """The longest call the account's balance pays for; InsufficientCredit (402) when not
        even the first billed block."""
        longest = rate.max_seconds(await self.balance(session, account_id))
        if longest == 0:
            raise InsufficientCredit("not enough credit for this call: top up first")
        return longest

    async def reserve(
        self, session: AsyncSession, account_id: str, rate: Rate, reference: str
    ) -> Hold:
        """Hold what the longest affordable call costs (at least its first block)."""
        longest = await self.affordable(session, account_id, rate)
        reservation = await self.ledger.reserve(
            session,
            account_id,
            rate.charge(longest),
            self.currency,
            reference,
            minimum=rate.charge(rate.first),
        )
        return Hold(reservation, rate, longest)

    async def settle(self, session: AsyncSession, hold: Hold, answered_seconds: float) -> int:
        """Charge ``answered_seconds`` (0 for an unanswered call) and release the rest; the
        amount charged."""
        cost = min(hold.rate.charge(answered_seconds), hold.reservation.amount)
        await self.ledger.settle(session, hold.reservation, cost)
        return cost
