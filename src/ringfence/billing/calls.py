"""What a call costs an account, around the call: priced from the operator's rate table, the
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
        self.currency = settings.billing.currency.upper()
        self._rates: RateTable | None = None

    @property
    def rates(self) -> RateTable:
        """The operator's rate table (and the test phone's free rate while it is the carrier);
        ServiceUnavailable (503) when there is none."""
        if self._rates is None:
            path = self.settings.billing.rates_file
            test_phone = self.settings.telephony.builtin_test_phone
            if path is None and not test_phone:
                raise ServiceUnavailable("calling is not set up: the operator has no rate table")
            table = RateTable.load(path) if path is not None else RateTable([])
            if test_phone:
                free = Rate(TEST_PHONE_PREFIX, 0, 1, 1, 0, self.currency, "test phone")
                table = RateTable([free, *table.rates])
            self._rates = table
        return self._rates

    def rate(self, e164: str) -> Rate:
        """The rate for a number (Forbidden when the destination is not offered)."""
        rate = self.rates.lookup(e164)
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
