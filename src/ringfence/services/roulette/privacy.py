"""roulette's categories: the ban record and a banned person's appeal are all it stores;
conversations, and what a person asks of a match, are relayed live and dropped."""

from __future__ import annotations

from ringfence.privacy.inventory import Category, LegalBasis, Retention, SubjectKind
from ringfence.services.roulette.models import APPEAL, BAN

NEVER_STORED = LegalBasis.LEGITIMATE_INTERESTS

CATEGORIES = (
    Category(
        name=BAN,
        service="roulette",
        title="Bans after a report",
        store="roulette_bans",
        fields=("ip_key", "created_at", "until", "reporter_key", "lifted_at"),
        purpose="Keep a reported person out of roulette for a while, and let the operator see "
        "how many different people reported an address. Only keyed hashes of the reported and "
        "the reporting IP addresses are kept, never what was said; the ban lasts as long as "
        "this record, unless the operator lifts it.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(30),
        timestamp="created_at",
        subject=SubjectKind.IP,
        subject_field="ip_key",
        subject_hashed=True,
    ),
    Category(
        name=APPEAL,
        service="roulette",
        title="Appeals against a ban",
        store="roulette_appeals",
        fields=("ip_key", "created_at", "text", "decision", "decided_at"),
        purpose="Let a banned person say why the ban is wrong, and the operator uphold or lift "
        "it. The appeal is kept with a keyed hash of the address it came from (never the "
        "address), as long as a ban lasts, then deleted.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(30),
        timestamp="created_at",
        subject=SubjectKind.IP,
        subject_field="ip_key",
        subject_hashed=True,
    ),
    *(
        Category(
            name=name,
            service="roulette",
            title=title,
            store="",
            fields=(field,),
            purpose=purpose,
            legal_basis=NEVER_STORED,
            retention=Retention.never_stored(),
            processors=processors,
        )
        for name, title, field, purpose, processors in (
            (
                "roulette_chat_message",
                "Chat messages",
                "text",
                "Pass your message to the person you are talking to.",
                (),
            ),
            (
                "roulette_image",
                "Images you send",
                "image",
                "Pass your picture, re-encoded without its metadata (such as location), to the "
                "person you are talking to.",
                (),
            ),
            (
                "roulette_audio",
                "Your voice",
                "audio",
                "Carry the call. Audio goes through the TURN relay (when the operator runs one), "
                "encrypted end to end by WebRTC; the server cannot hear it and keeps nothing.",
                ("the TURN relay run by this installation's operator",),
            ),
            (
                "roulette_preferences",
                "The language and interests you choose",
                "interests",
                "Match you with someone who speaks your language and shares an interest; held "
                "only while you wait or talk, never stored.",
                (),
            ),
            (
                "roulette_match",
                "Who you were matched with",
                "partner",
                "Connect you with a stranger and keep the pair together while you talk; forgotten "
                "when either of you leaves.",
                (),
            ),
        )
    ),
)
