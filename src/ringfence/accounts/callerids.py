"""The numbers an account proved it answers, which it may show as caller id on its calls.

Proving a number (a call that asks for a code) is the calling service's work; this keeps the
result, each number encrypted with the account's own key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import Account, CallerId
from ringfence.errors import Forbidden
from ringfence.privacy.core import Privacy
from ringfence.redact import mask_number


@dataclass(frozen=True)
class VerifiedNumber:
    id: str
    number: str


class CallerIds:
    def __init__(self, privacy: Privacy) -> None:
        self.privacy = privacy

    async def of(self, account: Account) -> list[VerifiedNumber]:
        """The account's verified numbers, oldest first."""
        async with self.privacy.db.session() as session:
            rows = (
                await session.scalars(
                    select(CallerId)
                    .where(CallerId.subject_ref == account.subject_ref)
                    .order_by(CallerId.verified_at)
                )
            ).all()
            return [
                VerifiedNumber(
                    row.id,
                    (
                        await self.privacy.vault.decrypt(session, account.subject_ref, row.number)
                    ).decode(),
                )
                for row in rows
            ]

    async def number(self, account: Account, caller_id: str) -> str:
        """The number of one of the account's verified caller ids; Forbidden for any other id."""
        for known in await self.of(account):
            if known.id == caller_id:
                return known.number
        raise Forbidden("that caller id is not one of your verified numbers")

    async def add(self, session: AsyncSession, account: Account, e164: str) -> None:
        """Keep a number the account has just proved it answers."""
        session.add(
            CallerId(
                subject_ref=account.subject_ref,
                number=await self.privacy.vault.encrypt(
                    session, account.subject_ref, e164.encode()
                ),
                number_tail=mask_number(e164),
                verified_at=self.privacy.clock.now(),
            )
        )
