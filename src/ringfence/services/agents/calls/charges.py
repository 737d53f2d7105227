"""What an agent call costs the business: its minutes, through the same ledger and rate table
as dial's calls (``billing.calls``), paid from the business's own wallet
(``billing.ledger.business``), which the operator credits in the console.

An inbound call is priced at the operator's rate for the number the caller dialled (the
business's); a number the table does not price is not charged. The most the balance pays for
is held when the call is answered, which also caps the call's length, and the exact charge is
settled when it ends. A business out of credit is declined politely: the caller hears that
the business cannot take calls here now, and nothing is charged.
"""

from __future__ import annotations

from ringfence.billing.calls import CallCharges, Hold
from ringfence.billing.ledger import business
from ringfence.clock import Clock
from ringfence.errors import Forbidden, ServiceUnavailable
from ringfence.settings import Settings
from ringfence.store.database import Database

DECLINED = "Sorry, {business} cannot take calls on this line right now. Please try again later."


class AgentCharges:
    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.db = db
        self.charges = CallCharges(settings, clock)

    async def hold(self, tenant_id: str, e164: str, reference: str) -> Hold | None:
        """Hold what the longest affordable call costs; None when the number is not priced.
        InsufficientCredit (402) when the business cannot pay for the first billed block."""
        async with self.db.session() as session:
            try:
                rate = await self.charges.rate(session, e164)
            except (Forbidden, ServiceUnavailable):
                return None  # not priced by the operator: not charged
            if rate.price_per_minute == 0 and rate.connection_fee == 0:
                return None
            return await self.charges.reserve(session, business(tenant_id), rate, reference)

    async def settle(self, hold: Hold, answered_seconds: float) -> int:
        async with self.db.session() as session:
            return await self.charges.settle(session, hold, answered_seconds)

    async def balance(self, tenant_id: str) -> int:
        async with self.db.session() as session:
            return await self.charges.balance(session, business(tenant_id))
