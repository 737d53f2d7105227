"""The ledger: transactions of entries that sum to zero; balances are sums, never stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.store.base import Base, new_sortable_id
from ringfence.store.columns import NOT_PERSONAL, personal

LEDGER = "ledger_transaction"
ENTRY = "ledger_entry"
PAYMENT = "payment_record"
LOW_BALANCE = "low_balance_alert"


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"
    __table_args__ = (Index("ix_ledger_transactions_subject_ref", "subject_ref"),)

    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=new_sortable_id, info=NOT_PERSONAL
    )
    kind: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)  # credit|hold|settle|...
    # What caused it (a Stripe event, a call); unique, so the same cause never posts twice.
    reference: Mapped[str] = mapped_column(String(120), unique=True, info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(60), info=personal(LEDGER))
    at: Mapped[dt.datetime] = mapped_column(info=personal(LEDGER))
    # Why the operator granted or refunded credit, shown to the account in its history.
    reason: Mapped[str | None] = mapped_column(String(200), info=personal(LEDGER))


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_book_currency", "book", "currency"),)

    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=new_sortable_id, info=NOT_PERSONAL
    )
    transaction_id: Mapped[str] = mapped_column(
        ForeignKey("ledger_transactions.id", ondelete="CASCADE"), info=NOT_PERSONAL
    )
    book: Mapped[str] = mapped_column(String(60), info=personal(ENTRY))  # wallet:<id>, revenue
    amount: Mapped[int] = mapped_column(BigInteger, info=personal(ENTRY))  # minor units
    currency: Mapped[str] = mapped_column(String(3), info=NOT_PERSONAL)


class Payment(Base):
    """A payment through Stripe Checkout and what happened to it since."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_subject_ref", "subject_ref"),
        Index("ix_payments_payment_intent", "payment_intent"),
    )

    id: Mapped[str] = mapped_column(String(120), primary_key=True, info=NOT_PERSONAL)  # cs_...
    payment_intent: Mapped[str | None] = mapped_column(String(120), info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(60), info=personal(PAYMENT))
    amount: Mapped[int] = mapped_column(BigInteger, info=personal(PAYMENT))
    currency: Mapped[str] = mapped_column(String(3), info=NOT_PERSONAL)
    reversed: Mapped[int] = mapped_column(BigInteger, default=0, info=personal(PAYMENT))
    status: Mapped[str] = mapped_column(String(16), info=personal(PAYMENT))
    created_at: Mapped[dt.datetime] = mapped_column(info=personal(PAYMENT))


class StripeEvent(Base):
    """Webhook events already applied: the same event delivered twice is applied once."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(120), primary_key=True, info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(60), info=NOT_PERSONAL)
    at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class RateOverride(Base):
    """A destination's price set by the operator in the console: it replaces the rate table's
    line for the same prefix, or adds one (the longest matching prefix still wins)."""

    __tablename__ = "rate_overrides"

    prefix: Mapped[str] = mapped_column(String(15), primary_key=True, info=NOT_PERSONAL)
    price_per_minute: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)  # minor units
    first: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)  # seconds
    step: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)  # seconds
    connection_fee: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    currency: Mapped[str] = mapped_column(String(3), info=NOT_PERSONAL)
    name: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
    updated_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class LowBalanceAlert(Base):
    """An account's choice about the low-balance e-mail, and whether the next fall below the
    threshold is still to be told (``armed``: set when the balance is seen at or above it,
    cleared when the e-mail goes), so one fall sends one e-mail."""

    __tablename__ = "low_balance_alerts"

    subject_ref: Mapped[str] = mapped_column(
        String(60), primary_key=True, info=personal(LOW_BALANCE)
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, info=personal(LOW_BALANCE))
    # minor units; None: the installation's default (billing.low_balance)
    threshold: Mapped[int | None] = mapped_column(Integer, info=personal(LOW_BALANCE))
    armed: Mapped[bool] = mapped_column(Boolean, default=False, info=personal(LOW_BALANCE))
    alerted_at: Mapped[dt.datetime | None] = mapped_column(info=personal(LOW_BALANCE))


class UsagePrice(Base):
    """A price the operator sets in the console for a use of a service beside the call's own
    rate (a minute of an AI agent, a campaign's call), by the name the service gives it."""

    __tablename__ = "usage_prices"

    name: Mapped[str] = mapped_column(String(40), primary_key=True, info=NOT_PERSONAL)
    price: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)  # minor units
    updated_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
