"""The abuse controls' category of personal data: rate-limit counters (keyed hashes only)."""

from __future__ import annotations

from ringfence.abuse.models import RATE_CATEGORY
from ringfence.privacy.inventory import Category, LegalBasis, Retention, SubjectKind

CATEGORIES = (
    Category(
        name=RATE_CATEGORY,
        service="platform",
        title="Rate-limit counters",
        store="rate_hits",
        fields=("key", "at"),
        purpose="Stop a service being used to harass someone or to run up costs: count how often "
        "a number is called and how often a visitor or an IP address acts. Numbers, IP addresses "
        "and visitor ids are kept only as keyed hashes.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(2),
        timestamp="at",
        subject=SubjectKind.ANON,
        subject_field="key",
        subject_hashed=True,
    ),
)
