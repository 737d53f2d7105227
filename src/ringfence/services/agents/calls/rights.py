"""A business's right to call, as the outbound gate asks it (``telephony.gate.Right``).

The numbers a business controls are the numbers its agents answer: the carrier delivers their
calls to this platform, which routes them to the business (``AgentNumber``). Those are the only
numbers it may show as caller id (a transfer shows the agent's number, never the caller's From),
and, for an evaluation, the only numbers it may have called.
"""

from __future__ import annotations

from sqlalchemy import select

from ringfence.errors import Forbidden
from ringfence.redact import mask_number
from ringfence.services.agents.models import AgentNumber
from ringfence.store.database import Database
from ringfence.telephony.dialing import Number


class BusinessNumbers:
    """``only_own``: the business may call only numbers it controls (evaluations); otherwise
    any number the dialling policy allows (campaigns, transfers, whose own rules came first)."""

    def __init__(self, db: Database, tenant_id: str, *, only_own: bool = False) -> None:
        self.db = db
        self.tenant_id = tenant_id
        self.only_own = only_own

    async def controls(self, e164: str) -> bool:
        async with self.db.session() as session:
            found = await session.scalar(
                select(AgentNumber.number).where(
                    AgentNumber.tenant_id == self.tenant_id, AgentNumber.number == e164
                )
            )
        return found is not None

    async def permit(self, number: Number) -> None:
        if self.only_own and not await self.controls(number.e164):
            raise Forbidden(
                f"{mask_number(number.e164)} is not a number this business controls: "
                "evaluations call only the business's own agents' numbers"
            )

    async def verified(self, e164: str) -> bool:
        return await self.controls(e164)
