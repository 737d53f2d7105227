"""May a subject's data be processed for a purpose? The one check every processing path asks.

A restriction (GDPR art. 18) keeps the data but stops everything else done with it: no calls to
the person, no evaluation of them, no model (hosted dialogue, speech-to-text) run over what they
say. An objection (art. 21) stops what rests on our legitimate interests, and any direct
marketing whatever its basis (art. 21(3)). Both are ``ProcessingRestriction`` rows, recorded by
a rights request under every subject reference linked to the person who asked
(``Rights.subjects``), so a check needs only the reference the processing path holds (a
contact's phone reference, an account's).

Services declare their purposes (a name, its legal basis, whether it is direct marketing) and
ask ``why_not`` before they act; the core never names them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.privacy.inventory import LegalBasis
from ringfence.privacy.models import ProcessingRestriction
from ringfence.store.database import own_role_session

RESTRICT = "restrict"
OBJECT = "object"
RESTRICTED = "the person restricted the processing of their data (GDPR art. 18)"
OBJECTED = "the person objected to this processing (GDPR art. 21)"


@dataclass(frozen=True)
class Purpose:
    """Something done with personal data that a restriction or an objection may stop."""

    name: str  # "<service>.<what>", for logs and counts
    legal_basis: LegalBasis
    direct_marketing: bool = False  # an objection stops it whatever its basis (art. 21(3))


def refusal(kinds: Iterable[str], purpose: Purpose) -> str | None:
    """Why standing restrictions of these ``kinds`` stop ``purpose``; None when they do not."""
    found = set(kinds)
    if RESTRICT in found:
        return RESTRICTED
    if OBJECT in found and (
        purpose.legal_basis is LegalBasis.LEGITIMATE_INTERESTS or purpose.direct_marketing
    ):
        return OBJECTED
    return None


async def why_not(session: AsyncSession, subjects: Iterable[str], purpose: Purpose) -> str | None:
    """Why the data of ``subjects`` (references of one person) may not be processed for
    ``purpose`` now; None when it may. Read beside ``session`` on the application's own role
    (a tenant-scoped transaction may not read the restrictions table)."""
    refs = sorted(set(subjects))
    if not refs:
        return None
    async with own_role_session(session) as own:
        kinds = await own.scalars(
            select(ProcessingRestriction.kind).where(ProcessingRestriction.subject_ref.in_(refs))
        )
        return refusal(kinds.all(), purpose)
