"""Telephony's categories of personal data: the call log every call leaves, recordings, and the
proofs that someone answers a number (for privacy requests by people without an account)."""

from __future__ import annotations

from ringfence.privacy.inventory import Category, LegalBasis, Processor, Retention, SubjectKind
from ringfence.settings import Settings
from ringfence.telephony.models import CATEGORY, PROOFS

RECORDING = "call_recording"

CATEGORIES = (
    Category(
        name=CATEGORY,
        service="telephony",
        title="Call records",
        store="call_records",
        fields=(
            "subject_ref",
            "remote_masked",
            "started_at",
            "answered_at",
            "ended_at",
            "duration",
        ),
        purpose="Run and troubleshoot calls, bill them where a service charges, and detect abuse. "
        "The other party's number is kept only as a keyed hash and its last two digits.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(90),
        timestamp="started_at",
        processors=("the SIP carrier that connects the call",),
        subject=SubjectKind.PHONE,
        subject_field="subject_ref",
    ),
    Category(
        name=RECORDING,
        service="telephony",
        title="Call recordings",
        store="file:recordings",
        fields=("audio",),
        purpose="Keep a recording of a call where the service records calls and the caller was "
        "told and agreed; encrypted with a key of the other party's own.",
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.duration(90),
        timestamp="mtime",
        encrypted=True,
        subject=SubjectKind.PHONE,
    ),
    Category(
        name=PROOFS,
        service="platform",
        title="Proof that you answer a phone number",
        store="phone_proofs",
        fields=("subject_ref", "proved_at", "claimed_at"),
        purpose="Let you make privacy requests about a phone number once you typed the code we "
        "showed you during our call to it: the number only as a keyed hash, kept a day.",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.duration(1),
        timestamp="proved_at",
        subject=SubjectKind.PHONE,
        subject_field="subject_ref",
    ),
)


def processors(settings: Settings) -> list[Processor]:
    """Each configured SIP trunk carries calls, and learns who called whom and when."""
    if not settings.telephony.enabled:
        return []
    return [
        Processor(
            name=f"SIP carrier {carrier.name} ({carrier.host})",
            does="connects calls to the phone network; it sees both numbers, the call's times "
            "and its audio as it passes",
            categories=(CATEGORY, RECORDING),
        )
        for carrier in settings.telephony.carriers
    ]
