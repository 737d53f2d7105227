"""ring's categories of personal data: the short call log, the do-not-ring list, the remembered
number (on the visitor's device only) and the audio of the call (never stored)."""

from __future__ import annotations

from ringfence.privacy.inventory import Category, LegalBasis, Retention, SubjectKind
from ringfence.services.ring.models import DENYLIST, LOG

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
