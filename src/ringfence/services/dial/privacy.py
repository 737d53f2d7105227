"""dial's categories: the call history, the address book, and the audio of browser calls (never
stored)."""

from __future__ import annotations

from ringfence.privacy.inventory import Category, LegalBasis, Retention, SubjectKind
from ringfence.services.dial.models import CONTACTS, HISTORY

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
        name=CONTACTS,
        service="dial",
        title="Your contacts",
        store="dial_contacts",
        fields=("name", "number", "note", "created_at", "updated_at"),
        purpose="Keep the people you call at hand, so you can find and call them by name and "
        "see their names in your call history. Name, number and note are encrypted with a key "
        "of your own.",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.while_("until you remove the contact or delete your account"),
        encrypted=True,
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
