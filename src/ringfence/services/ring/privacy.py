"""ring's categories of personal data: the short call log, the call records its calls leave, the
do-not-ring list, the remembered number (on the visitor's device only) and the audio of the call
(never stored)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.privacy.inventory import Category, LegalBasis, Retention, SubjectKind
from ringfence.privacy.subjects import keyed_ref
from ringfence.services.ring.models import CALL_RECORDS, DENYLIST, LOG, RingLog
from ringfence.settings import Settings
from ringfence.telephony.models import CallRecord

CATEGORIES = (
    Category(
        name=LOG,
        service="ring",
        title="Ring log",
        store="ring_log",
        fields=(
            "visitor",
            "ip",
            "number_ref",
            "number_tail",
            "started_at",
            "ended_at",
            "outcome",
            "opted_out",
        ),
        purpose="Stop the ring page being used to harass someone: who asked for a ring (a keyed "
        "hash of your anonymous id and IP address), which number (a keyed hash and its last two "
        "digits; the whole number is held in memory only while the call is placed), when, and "
        "how it ended.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(7),
        timestamp="started_at",
        processors=("the SIP carrier that places the call",),
        subject=SubjectKind.ANON,
        subject_field="visitor",
        subject_hashed=True,
    ),
    Category(
        name=CALL_RECORDS,
        service="ring",
        title="Records of ring calls",
        store="call_records",
        fields=(
            "subject_ref",
            "remote_masked",
            "started_at",
            "answered_at",
            "ended_at",
            "duration",
        ),
        purpose="Run and troubleshoot the calls ring places and detect abuse of the ring page: "
        "when each call was placed, answered and ended, with the rung number only as a keyed "
        "hash and its last two digits. Erased with the ring log when the person who asked for "
        "the ring erases their data, or when the rung number's owner does.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(90),
        timestamp="started_at",
        processors=("the SIP carrier that places the call",),
        # The rung number's owner finds these rows through telephony's call records (the same
        # rows); the ringer through the ring log (``erase_ringers_calls``).
        subject=SubjectKind.PHONE,
        rows=("service", "ring"),
    ),
    Category(
        name=DENYLIST,
        service="ring",
        title="Numbers never to ring",
        store="ring_denylist",
        fields=("number_ref", "added_at"),
        purpose="Honour a number owner's request never to be rung by this service (a keyed hash "
        "of the number, never the number).",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.while_("as long as the number's owner wants it never to be rung"),
        subject=SubjectKind.PHONE,
        subject_field="number_ref",
        legal_hold="it records the number owner's objection; without it the number would be "
        "rung again",
    ),
    Category(
        name="ring_remembered_number",
        service="ring",
        title="Your remembered number",
        store="",
        fields=("number",),
        purpose="Fill in your number next time, when you tick 'remember my number' (untick it "
        "to delete the cookie). The server never stores it.",
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.on_device(365),
        cookies=(("rf_ring_number", "/ring"),),
        consent_purpose="preferences",
    ),
    Category(
        name="ring_call_audio",
        service="ring",
        title="Audio of the ring call",
        store="",
        fields=("audio",),
        purpose="Play the spoken message and hear a key press; nothing of the call's audio is "
        "recorded.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.never_stored(),
    ),
)


async def erase_ringers_calls(
    settings: Settings, session: AsyncSession, subject_ref: str
) -> list[dict[str, Any]]:
    """An anonymous visitor's erasure also removes the call records of the rings they asked for
    (found through the ring log, before its own rows go)."""
    visitor = keyed_ref(subject_ref, settings.signing_key())
    calls = select(RingLog.call_id).where(RingLog.visitor == visitor, RingLog.call_id.is_not(None))
    result = await session.execute(
        delete(CallRecord).where(CallRecord.service == "ring", CallRecord.id.in_(calls))
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return [{"action": "deleted", "category": CALL_RECORDS, "records": count}] if count else []


ERASERS = (erase_ringers_calls,)
