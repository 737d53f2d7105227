"""dial's categories: the call history, and the audio of browser calls (never stored)."""

from __future__ import annotations

from ringfence.privacy.inventory import Category, LegalBasis, Retention, SubjectKind
from ringfence.services.dial.call_quality import QUALITY
from ringfence.services.dial.models import HISTORY

CATEGORIES = (
    Category(
        name=HISTORY,
        service="dial",
        title="Your call history",
        store="dial_calls",
        fields=("number", "number_tail", "started_at", "answered_at", "duration", "status", "cost"),
        purpose="Show you the calls you made and what each cost, and answer questions about a "
        "charge. The number you called is encrypted with a key of your own.",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.duration(365),
        timestamp="started_at",
        encrypted=True,
        processors=("the SIP carrier that connects the call",),
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
    ),
    Category(
        name=QUALITY,
        service="dial",
        title="How your calls sounded",
        store="dial_call_quality",
        fields=(
            "started_at",
            "rating",
            "browser_jitter_ms",
            "browser_loss_pct",
            "browser_rtt_ms",
            "phone_jitter_ms",
            "phone_loss_pct",
            "phone_rtt_ms",
        ),
        purpose="Tell you after each call how well it sounded (jitter, lost audio and delay on "
        "your connection and on the phone network) and answer a complaint about a call. "
        "Kept as long as the call in your history.",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.duration(365),
        timestamp="started_at",
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
    ),
    Category(
        name="dial_call_audio",
        service="dial",
        title="What is said on your calls",
        store="",
        fields=("audio",),
        purpose="Carry your voice between your browser and the phone network; it passes through "
        "memory and is never recorded.",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.never_stored(),
    ),
)
