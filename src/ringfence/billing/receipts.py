"""Receipts: what a person bought (or was given) in credit, as an accounting record they can
show. A receipt is read from the ledger transaction that moved the credit into the wallet, and
the payment behind it, so it is kept exactly as long as they are (the ledger's and payments'
seven years, kept on erasure under the accounting law's hold) and can never disagree with the
balance. Its number is the transaction's id, and its reference the cause the ledger stores
(Stripe's Checkout session for a purchase).

Only purchases (``credit``, through Stripe) and the operator's grants (``grant``) have one: a
call charge or a reversal is not a sale. A receipt belongs to the account whose wallet received
it; asking for anyone else's is answered as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from babel.dates import format_date
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.billing.ledger import wallet
from ringfence.billing.models import LedgerEntry, LedgerTransaction, Payment
from ringfence.errors import NotFound
from ringfence.settings import Settings

SOLD = ("credit", "grant")  # the movements a receipt is issued for
MAX_ID = 32


@dataclass(frozen=True)
class Seller:
    name: str
    address: str
    vat_id: str
    vat_percent: float | None

    @classmethod
    def of(cls, settings: Settings) -> Seller:
        billing = settings.billing
        name = billing.seller_name.strip() or settings.privacy.operator_name
        return cls(
            name, billing.seller_address.strip(), billing.vat_id.strip(), billing.vat_percent
        )


@dataclass(frozen=True)
class Receipt:
    number: str  # the ledger transaction's id
    kind: str  # credit (bought) or grant (given by the operator)
    issued_at: dt.datetime
    seller: Seller
    buyer: str  # the account's e-mail address
    amount: int  # minor units, VAT included
    currency: str
    reference: str  # the ledger's reference: what caused the movement
    reason: str | None  # the operator's, for a grant
    reversed: int  # of a purchase: what a refund or dispute took back since

    @property
    def issued_on(self) -> str:
        """The date in words ("2 December 2026"), as a receipt reads."""
        return format_date(self.issued_at.date(), format="long", locale="en_GB")

    @property
    def granted(self) -> bool:
        return self.kind == "grant"

    @property
    def method(self) -> str:
        if self.granted:
            return "Credit granted by the operator (no payment)"
        return "Card, through Stripe"

    @property
    def vat(self) -> int | None:
        """The VAT included in the amount, in minor units; None when no VAT is configured or
        nothing was paid (a grant is not a supply for a price)."""
        rate = self.seller.vat_percent
        if rate is None or self.granted:
            return None
        return round(self.amount * rate / (100 + rate))

    def lines(self) -> list[tuple[str, str]]:
        """The receipt's labelled lines, in the order the page shows them."""
        seller = self.seller
        rows = [
            ("Receipt number", self.number),
            ("Date", self.issued_on),
            ("Seller", seller.name),
        ]
        if seller.address:
            rows.append(("Seller's address", seller.address))
        if seller.vat_id:
            rows.append(("VAT number", seller.vat_id))
        rows += [
            ("Buyer", self.buyer),
            ("Item", "Operator's credit grant" if self.granted else "Call credit"),
            ("Amount", money(self.amount, self.currency)),
        ]
        if self.vat is not None:
            rows.append(
                (f"VAT included ({self.seller.vat_percent:g} %)", money(self.vat, self.currency))
            )
        rows += [("Payment method", self.method), ("Ledger reference", self.reference)]
        if self.reason:
            rows.append(("Reason given", self.reason))
        if self.reversed:
            rows.append(("Refunded since", money(self.reversed, self.currency)))
        return rows


def money(amount: int, currency: str) -> str:
    """Minor units as the receipt prints them: "5.00 EUR"."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d} {currency}"


class Receipts:
    def __init__(self, settings: Settings) -> None:
        self.seller = Seller.of(settings)
        self.currency = settings.billing.currency.upper()

    async def list(self, session: AsyncSession, account_id: str, buyer: str) -> list[Receipt]:
        """The account's receipts, newest first."""
        rows = await session.execute(self._query(account_id).order_by(LedgerTransaction.id.desc()))
        return [await self._receipt(session, tx, amount, buyer) for tx, amount in rows.all()]

    async def get(self, session: AsyncSession, account_id: str, buyer: str, number: str) -> Receipt:
        """One receipt of the account; NotFound for any other (another's included)."""
        if len(number) > MAX_ID or not number.isalnum():
            raise NotFound("no such receipt")
        row = (
            await session.execute(self._query(account_id).where(LedgerTransaction.id == number))
        ).first()
        if row is None:
            raise NotFound("no such receipt")
        return await self._receipt(session, row[0], row[1], buyer)

    def _query(self, account_id: str) -> Select[LedgerTransaction, int]:
        return (
            select(LedgerTransaction, LedgerEntry.amount)
            .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
            .where(
                LedgerEntry.book == wallet(account_id),
                LedgerEntry.currency == self.currency,
                LedgerTransaction.kind.in_(SOLD),
            )
        )

    async def _receipt(
        self, session: AsyncSession, tx: LedgerTransaction, amount: int, buyer: str
    ) -> Receipt:
        reversed_ = 0
        if tx.reference.startswith("stripe:"):
            payment = await session.get(Payment, tx.reference.removeprefix("stripe:"))
            reversed_ = payment.reversed if payment is not None else 0
        return Receipt(
            number=tx.id,
            kind=tx.kind,
            issued_at=tx.at,
            seller=self.seller,
            buyer=buyer,
            amount=amount,
            currency=self.currency,
            reference=tx.reference,
            reason=tx.reason,
            reversed=reversed_,
        )
