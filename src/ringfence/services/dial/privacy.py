"""dial's categories: the call history, the address book, and the audio of browser calls (never
stored)."""

from __future__ import annotations

from ringfence.privacy.inventory import Category, LegalBasis, Retention, SubjectKind
from ringfence.services.dial.call_quality import QUALITY
from ringfence.services.dial.models import CALLED, CONTACTS, HISTORY

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
        name=CALLED,
        service="dial",
        title="Calls made to your number",
        store="dial_calls",
        fields=("callee_ref", "started_at", "answered_at", "duration", "status"),
        # A call an account placed to a number is data about the number's holder too (that
        # their phone was rung, when, whether it was answered, for how long), so a request by
        # the holder, proved by a call to the number, finds it. It is also the caller's record,
        # under the contract they paid the call by: the holder sees only the fact and time of
        # each call (``shown``), never who placed it (the account), its price or the caller's
        # encrypted copy of the number; and their erasure unlinks the calls from the number
        # (``erase_clears``) rather than deleting the caller's history of calls they paid for.
        purpose="Keep the calls dial's users placed to your number in their call history, so "
        "they can see what they called and paid for; you can see when your number was called.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        # The caller's history decides how long a call is kept (the sweeper expires it there).
        retention=Retention.while_("as long as the caller's call history keeps the call"),
        timestamp="started_at",
        processors=("the SIP carrier that connects the call",),
        subject=SubjectKind.PHONE,
        subject_field="callee_ref",
        shown=("started_at", "answered_at", "duration", "status"),
        erase_clears=("callee_ref",),
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
