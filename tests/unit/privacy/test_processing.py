"""What a restriction and an objection stop (GDPR art. 18 and 21), as one pure decision."""

from __future__ import annotations

from ringfence.privacy.inventory import LegalBasis
from ringfence.privacy.processing import OBJECT, OBJECTED, RESTRICT, RESTRICTED, Purpose, refusal

INTERESTS = Purpose("x.scoring", LegalBasis.LEGITIMATE_INTERESTS)
CONTRACT = Purpose("x.billing", LegalBasis.CONTRACT)
MARKETING = Purpose("x.campaign", LegalBasis.CONSENT, direct_marketing=True)


def test_nothing_stands_nothing_stops() -> None:
    assert refusal([], INTERESTS) is None and refusal([], MARKETING) is None


def test_a_restriction_stops_every_purpose() -> None:
    for purpose in (INTERESTS, CONTRACT, MARKETING):
        assert refusal([RESTRICT], purpose) == RESTRICTED
    assert refusal([OBJECT, RESTRICT], CONTRACT) == RESTRICTED


def test_an_objection_stops_legitimate_interests_and_direct_marketing_only() -> None:
    assert refusal([OBJECT], INTERESTS) == OBJECTED
    assert refusal([OBJECT], MARKETING) == OBJECTED  # art. 21(3): whatever its basis
    assert refusal([OBJECT], CONTRACT) is None
