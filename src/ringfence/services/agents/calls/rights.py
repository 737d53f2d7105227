"""A business's right to call, as the outbound gate asks it (``telephony.gate.Right``).

The numbers a business controls are the numbers it proved it answers: someone there typed a
code during a call to each (``tenants.numbers``). Those are the only numbers it may show as
caller id (a transfer shows the agent's number, never the caller's From; a campaign its chosen
one), the only ones its agents answer, and, for an evaluation, the only ones it may have called.
"""

from __future__ import annotations

from ringfence.errors import Forbidden
from ringfence.redact import mask_number
from ringfence.store.database import Database
from ringfence.telephony.dialing import Number
from ringfence.tenants.numbers import controls


class BusinessNumbers:
    """``only_own``: the business may call only numbers it controls (evaluations); otherwise
    any number the dialling policy allows (campaigns, transfers, whose own rules came first).
    ``key``: the platform's signing key (verified numbers are found by a keyed hash)."""

    def __init__(self, db: Database, key: bytes, tenant_id: str, *, only_own: bool = False) -> None:
        self.db = db
        self.key = key
        self.tenant_id = tenant_id
        self.only_own = only_own

    async def controls(self, e164: str) -> bool:
        return await controls(self.db, self.key, self.tenant_id, e164)

    async def permit(self, number: Number) -> None:
        if self.only_own and not await self.controls(number.e164):
            raise Forbidden(
                f"{mask_number(number.e164)} is not a number this business has verified: "
                "evaluations call only the business's own verified numbers"
            )

    async def verified(self, e164: str) -> bool:
        return await self.controls(e164)
