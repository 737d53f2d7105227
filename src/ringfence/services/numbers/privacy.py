"""numbers keeps no personal data: generated numbers and checked numbers are never stored, and
its only cookie (the remembered country) is a preference set on the visitor's device after
consent."""

from __future__ import annotations

from ringfence.privacy.inventory import Category, LegalBasis, Retention

CATEGORIES = (
    Category(
        name="numbers_checked_number",
        service="numbers",
        title="Numbers you check or generate",
        store="",
        fields=("number",),
        purpose="Answer your request; the number is never written anywhere.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.never_stored(),
    ),
)
