"""What an agent call costs the business: its minutes, through the same ledger and rate table
as dial's calls (``billing.calls``), paid from the business's own wallet
(``billing.ledger.business``), which the operator credits in the console.

A call is priced at the operator's rate for the number on the line (the business's for an
inbound call, the callee's for a campaign's), plus the operator's price of an agent minute
(``billing.usage``) and, for each call a campaign places, its price per call. A call nothing
prices is not charged. The most the balance pays for is held when the call is answered, which
also caps the call's length, and the exact charge is settled when it ends. A business out of
credit is declined politely: the caller hears that the business cannot take calls here now,
and nothing is charged.

The operator may give a business a quota of agent minutes per calendar month (UTC): the
minutes its agents talked this month count against it, what is left caps a call's length, and
once it is used calls are refused (``QuotaReached``) until the month ends.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ringfence.billing.calls import CallCharges, Hold
from ringfence.billing.ledger import business
from ringfence.billing.rates import Rate
from ringfence.billing.usage import AGENT_MINUTE, CAMPAIGN_CALL, UsagePrices
from ringfence.clock import Clock
from ringfence.errors import Forbidden, ServiceUnavailable
from ringfence.services.agents.models import AgentCall
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session

DECLINED = "Sorry, {business} cannot take calls on this line right now. Please try again later."
OUT_OF_MINUTES = (
    "Sorry, {business} has used all its calling minutes for this month. Please try again later."
)
# Why a campaign paused by itself: a watch resumes it once the business can pay again, or
# has minutes again (a new month, or a larger quota).
NO_CREDIT = "the business's credit ran out: it resumes when the operator grants more"
NO_MINUTES = (
    "the business has used its agent minutes of this month: it resumes when the month ends "
    "or the operator raises the quota"
)


@dataclass(frozen=True)
class Terms:
    """What the business's page says about paying for its agents."""

    currency: str
    balance: int
    minute: int  # the price of an agent minute, on top of the call's rate
    per_call: int  # of each call a campaign places
    quota: int | None  # agent minutes a month; None: no limit
    used_minutes: float  # this calendar month


class QuotaReached(Forbidden):
    code = "quota_reached"


def month_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class AgentCharges:
    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.charges = CallCharges(settings, clock)
        self.usage = UsagePrices(clock)

    async def rate(self, tenant_id: str, e164: str, *, campaign: bool = False) -> Rate | None:
        """The call's rate with the agent's price added; None when nothing prices it."""
        async with self.db.session() as session:
            try:
                line: Rate | None = await self.charges.rate(session, e164)
            except (Forbidden, ServiceUnavailable):
                line = None  # the number is not priced by the operator: only the agent is
            minute = await self.usage.get(session, AGENT_MINUTE)
            per_call = await self.usage.get(session, CAMPAIGN_CALL) if campaign else 0
        base = line or Rate("", 0, 1, 1, 0, self.charges.currency, "agent minutes")
        rate = Rate(
            base.prefix,
            base.price_per_minute + minute,
            base.first,
            base.step,
            base.connection_fee + per_call,
            base.currency,
            base.name,
        )
        if rate.price_per_minute == 0 and rate.connection_fee == 0:
            return None
        return rate

    async def hold(
        self, tenant_id: str, e164: str, reference: str, *, campaign: bool = False
    ) -> Hold | None:
        """Hold what the longest affordable call costs; None when nothing prices the call.
        InsufficientCredit (402) when the business cannot pay for the first billed block."""
        rate = await self.rate(tenant_id, e164, campaign=campaign)
        if rate is None:
            return None
        async with self.db.session() as session:
            return await self.charges.reserve(session, business(tenant_id), rate, reference)

    async def seconds_left(self, tenant_id: str) -> float | None:
        """What is left of the month's quota (None: no quota); QuotaReached when nothing is."""
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        quota = tenant.minutes_per_month if tenant is not None else None
        if quota is None:
            return None
        left = quota * 60 - await self.used_seconds(tenant_id)
        if left < 1:
            raise QuotaReached(f"the business has used its {quota} agent minutes of this month")
        return left

    async def used_seconds(self, tenant_id: str) -> float:
        """The seconds its agents talked this calendar month (UTC)."""
        async with tenant_session(self.db, tenant_id) as session:
            used = await session.scalar(
                select(func.coalesce(func.sum(AgentCall.duration), 0.0)).where(
                    AgentCall.started_at >= month_start(self.clock.now())
                )
            )
        return float(used or 0.0)

    async def terms(self, tenant_id: str) -> Terms:
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
            minute = await self.usage.get(session, AGENT_MINUTE)
            per_call = await self.usage.get(session, CAMPAIGN_CALL)
        return Terms(
            currency=self.charges.currency,
            balance=await self.balance(tenant_id),
            minute=minute,
            per_call=per_call,
            quota=tenant.minutes_per_month if tenant is not None else None,
            used_minutes=await self.used_seconds(tenant_id) / 60,
        )

    async def settle(self, hold: Hold, answered_seconds: float) -> int:
        async with self.db.session() as session:
            return await self.charges.settle(session, hold, answered_seconds)

    async def balance(self, tenant_id: str) -> int:
        async with self.db.session() as session:
            return await self.charges.balance(session, business(tenant_id))
