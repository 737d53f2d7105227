"""Billing's categories: the ledger and payments, kept for the accounting period."""

from __future__ import annotations

from ringfence.billing.models import ENTRY, LEDGER, LOW_BALANCE, PAYMENT
from ringfence.privacy.inventory import Category, LegalBasis, Processor, Retention, SubjectKind
from ringfence.settings import Settings

SEVEN_YEARS = 7 * 365 + 2
HOLD = "accounting law requires payment and ledger records to be kept for seven years"

CATEGORIES = (
    Category(
        name=LEDGER,
        service="platform",
        title="Credit movements",
        store="ledger_transactions",
        fields=("subject_ref", "at", "reason"),
        purpose="Keep your balance exact: every purchase, call charge, refund and reversal, "
        "and the reason the operator gave for credit granted or refunded to you. The receipt "
        "of each purchase and grant is printed from it (with your account's e-mail address), "
        "so receipts are kept exactly as long.",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.duration(SEVEN_YEARS),
        timestamp="at",
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
        legal_hold=HOLD,
    ),
    Category(
        name=ENTRY,
        service="platform",
        title="Credit movement lines",
        store="ledger_entries",
        fields=("book", "amount"),
        purpose="The two sides of each credit movement (your wallet, and revenue or payments).",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.while_("as long as the movement they belong to"),
    ),
    Category(
        name=PAYMENT,
        service="platform",
        title="Payments",
        store="payments",
        fields=("subject_ref", "amount", "reversed", "status", "created_at"),
        purpose="Credit what you paid for, and reverse it on a refund or dispute. Card details "
        "stay with Stripe; we keep the amount and Stripe's reference.",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.duration(SEVEN_YEARS),
        timestamp="created_at",
        processors=("Stripe (payments)",),
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
        legal_hold=HOLD,
    ),
    Category(
        name=LOW_BALANCE,
        service="platform",
        title="Low-balance e-mail choice",
        store="low_balance_alerts",
        fields=("enabled", "threshold", "armed", "alerted_at"),
        purpose="E-mail you once when your credit falls below the amount you chose (or turn it "
        "off), and not again until you have topped up above it.",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.while_("as long as the account exists; deleted with it"),
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
    ),
)


def processors(settings: Settings) -> list[Processor]:
    """Stripe takes card payments when it is configured (credit is the operator's otherwise)."""
    if settings.billing.stripe_secret_key is None:
        return []
    return [
        Processor(
            name="Stripe",
            does="takes your card payment; it receives your payment details directly and tells "
            "us the amount and whether it succeeded",
            categories=(PAYMENT,),
        )
    ]
