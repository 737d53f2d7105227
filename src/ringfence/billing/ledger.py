"""The double-entry ledger: every movement is one transaction whose entries sum to zero, in
integer minor units of one currency. A balance is the sum of a book's entries, never a stored
number, so it cannot drift from the history that explains it.

Books: ``wallet:<account>`` (credit the person, or the business: ``business``, may spend),
``hold:<account>`` (reserved for a call in progress), ``revenue`` (charged calls), ``stripe``
(money received through Stripe; it goes negative as credit is sold), ``grants`` (credit the
operator gave away; it goes negative as credit is granted). An operator's refund gives back what
calls were charged (revenue -> wallet); both carry the operator's reason, which the account sees
in its history. A call reserves the most it may cost (wallet -> hold), and its end settles the
exact charge (hold -> revenue) and releases the rest (hold -> wallet).
Reservations take a per-wallet lock (a PostgreSQL advisory lock, SQLite's write lock), so
parallel calls of one account can never spend more than the wallet holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.billing.models import LedgerEntry, LedgerTransaction
from ringfence.clock import Clock
from ringfence.errors import Forbidden, InvalidInput
from ringfence.privacy.subjects import account_ref
from ringfence.store.locks import lock_names


class InsufficientCredit(Forbidden):
    code = "insufficient_credit"
    http_status = 402


class AlreadyPosted(Exception):
    """The reference was posted before: the movement is not applied twice."""


def wallet(account_id: str) -> str:
    return f"wallet:{account_id}"


def hold(account_id: str) -> str:
    return f"hold:{account_id}"


def business(tenant_id: str) -> str:
    """The ledger's account id of a business (a tenant): its calls are charged to
    ``wallet(business(id))``, which the operator credits like a person's."""
    return f"tenant:{tenant_id}"


# The operator's adjustments, and the book each one draws from.
ADJUSTMENTS = {"grant": "grants", "refund": "revenue"}
MAX_REASON = 200


@dataclass(frozen=True)
class Movement:
    """One movement of a wallet, as its owner sees it."""

    id: str
    kind: str
    amount: int  # into the wallet (negative: out of it)
    currency: str
    at: dt.datetime
    reason: str | None


@dataclass(frozen=True)
class Reservation:
    id: str  # the hold transaction
    account_id: str
    amount: int
    currency: str


class Ledger:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def post(
        self,
        session: AsyncSession,
        *,
        kind: str,
        reference: str,
        account_id: str,
        currency: str,
        lines: dict[str, int],
        reason: str | None = None,
    ) -> str:
        """One transaction; ``lines`` (book -> amount) must sum to zero. AlreadyPosted when the
        reference was used before (the caller's transaction is left usable)."""
        if sum(lines.values()) != 0:
            raise ValueError(f"unbalanced transaction: {lines}")
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput(f"{currency!r} is not a currency code")
        entry = LedgerTransaction(
            kind=kind,
            reference=reference,
            subject_ref=account_ref(account_id),
            at=self.clock.now(),
            reason=reason,
        )
        try:
            async with session.begin_nested():
                session.add(entry)
                await session.flush()
        except IntegrityError:
            raise AlreadyPosted(reference) from None
        code = currency.upper()
        session.add_all(
            LedgerEntry(transaction_id=entry.id, book=book, amount=amount, currency=code)
            for book, amount in lines.items()
            if amount
        )
        await session.flush()
        return entry.id

    async def balance(self, session: AsyncSession, book: str, currency: str) -> int:
        total = await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.book == book, LedgerEntry.currency == currency.upper()
            )
        )
        return int(total or 0)

    async def lock(self, session: AsyncSession, account_id: str) -> None:
        """Serialise movements of one wallet until the transaction ends."""
        await lock_names(session, [wallet(account_id)])

    async def credit(
        self, session: AsyncSession, account_id: str, amount: int, currency: str, reference: str
    ) -> str:
        if amount <= 0:
            raise InvalidInput("a credit is a positive amount")
        return await self.post(
            session,
            kind="credit",
            reference=reference,
            account_id=account_id,
            currency=currency,
            lines={wallet(account_id): amount, "stripe": -amount},
        )

    async def reverse(
        self, session: AsyncSession, account_id: str, amount: int, currency: str, reference: str
    ) -> str:
        """Take back a credit (refund, dispute). The wallet may go below zero if the credit
        was spent; calls are then refused until it is topped up."""
        await self.lock(session, account_id)
        return await self.post(
            session,
            kind="reversal",
            reference=reference,
            account_id=account_id,
            currency=currency,
            lines={wallet(account_id): -amount, "stripe": amount},
        )

    async def adjust(
        self,
        session: AsyncSession,
        kind: str,
        account_id: str,
        amount: int,
        currency: str,
        *,
        reason: str,
        reference: str,
    ) -> str:
        """The operator's movement into a wallet: a ``grant`` (free credit) or a ``refund`` (of
        what calls were charged), with the reason the account is shown."""
        if kind not in ADJUSTMENTS:
            raise InvalidInput(f"unknown adjustment {kind!r}: {', '.join(ADJUSTMENTS)}")
        if amount <= 0:
            raise InvalidInput("the amount is a positive number of minor units (cents)")
        reason = " ".join(reason.split())
        if not reason or len(reason) > MAX_REASON:
            raise InvalidInput(f"give a reason of at most {MAX_REASON} characters")
        await self.lock(session, account_id)
        return await self.post(
            session,
            kind=kind,
            reference=reference,
            account_id=account_id,
            currency=currency,
            lines={wallet(account_id): amount, ADJUSTMENTS[kind]: -amount},
            reason=reason,
        )

    async def history(
        self, session: AsyncSession, account_id: str, currency: str, *, limit: int = 50
    ) -> list[Movement]:
        """The wallet's movements, newest first."""
        rows = await session.execute(
            select(LedgerTransaction, LedgerEntry.amount)
            .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
            .where(
                LedgerEntry.book == wallet(account_id),
                LedgerEntry.currency == currency.upper(),
            )
            .order_by(LedgerTransaction.id.desc())
            .limit(limit)
        )
        return [
            Movement(tx.id, tx.kind, amount, currency.upper(), tx.at, tx.reason)
            for tx, amount in rows.all()
        ]

    async def reserve(
        self,
        session: AsyncSession,
        account_id: str,
        amount: int,
        currency: str,
        reference: str,
        *,
        minimum: int = 1,
    ) -> Reservation:
        """Hold up to ``amount`` (all that is available if less, but at least ``minimum``)."""
        await self.lock(session, account_id)
        available = await self.balance(session, wallet(account_id), currency)
        if available < minimum:
            raise InsufficientCredit("not enough credit for this call: top up first")
        held = min(amount, available)
        tx = await self.post(
            session,
            kind="hold",
            reference=reference,
            account_id=account_id,
            currency=currency,
            lines={wallet(account_id): -held, hold(account_id): held},
        )
        return Reservation(tx, account_id, held, currency.upper())

    async def settle(self, session: AsyncSession, reservation: Reservation, charge: int) -> str:
        """Charge the exact amount (never more than was held) and release the rest."""
        charge = max(0, min(charge, reservation.amount))
        account = reservation.account_id
        return await self.post(
            session,
            kind="settle",
            reference=f"settle:{reservation.id}",
            account_id=account,
            currency=reservation.currency,
            lines={
                hold(account): -reservation.amount,
                "revenue": charge,
                wallet(account): reservation.amount - charge,
            },
        )
