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
    Category(
        name="numbers_region",
        service="numbers",
        title="Your remembered country",
        store="",
        fields=("country",),
        purpose="Open the page on the country you chose last time, when you allowed the site to "
        "remember your choices. The server never stores it.",
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.on_device(365),
        cookies=(("rf_numbers_region", "/"),),
        consent_purpose="preferences",
    ),
)
