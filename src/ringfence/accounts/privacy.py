"""The accounts' categories of personal data."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import ACCOUNT, CALLER_ID, SESSION, CallerId
from ringfence.privacy.crypto import Vault
from ringfence.privacy.inventory import Category, LegalBasis, Processor, Retention, SubjectKind
from ringfence.privacy.subjects import phone_ref
from ringfence.settings import Settings

OUTBOX_CATEGORY = Category(
    name="mail_outbox",
    service="platform",
    title="E-mails kept for the operator to pass on",
    store="file:outbox",
    fields=("to", "subject", "body"),
    purpose="On a server that sends no e-mail, the messages we would send you (a link to confirm "
    "your address or reset your password, an invitation) are kept for the operator who runs it "
    "to pass on to you, and nothing else is done with them.",
    legal_basis=LegalBasis.CONTRACT,
    retention=Retention.duration(7),
    timestamp="mtime",
    subject=SubjectKind.ACCOUNT,
)

CATEGORIES = (
    Category(
        name=ACCOUNT,
        service="platform",
        title="Your account",
        store="accounts",
        fields=(
            "email",
            "email_hash",
            "password_hash",
            "created_at",
            "verified_at",
            "totp_secret",
            "role",
            "suspended_at",
        ),
        purpose="Let you sign in and reach your account: your e-mail address (verified by a "
        "link, encrypted with a key of your own, and found by a keyed fingerprint of it), an "
        "argon2id hash of your password (never the password), and, if you turn on two-step "
        "sign-in, its secret, encrypted with that key too.",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.while_("as long as the account exists; deleted with it"),
        encrypted=True,
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
        rectifiable=("email",),
        rectify_via="/account/email",
        withheld=("password_hash", "totp_secret"),
    ),
    Category(
        name=SESSION,
        service="platform",
        title="Your sign-ins",
        store="account_sessions",
        fields=("created_at", "last_seen"),
        withheld=("token_hash", "csrf"),
        purpose="Keep you signed in on a device until you sign out, sign out everywhere, or stop "
        "using it.",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.duration(30),
        timestamp="last_seen",
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
    ),
    Category(
        name=CALLER_ID,
        service="platform",
        title="Your own numbers, shown when you call",
        store="caller_ids",
        fields=("number", "number_tail", "verified_at"),
        purpose="Show your own number to the people you call, once you proved it is yours by "
        "typing a code during a call to it. Encrypted with a key of your own.",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.while_("as long as the account exists, or until you remove it"),
        encrypted=True,
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
    ),
    OUTBOX_CATEGORY,
)


def processors(settings: Settings) -> list[Processor]:
    """An SMTP relay delivers account e-mails when one is set (the outbox keeps them otherwise)."""
    if settings.mail.resolved_backend != "smtp":
        return []
    return [
        Processor(
            name=f"SMTP relay {settings.mail.smtp_host}",
            does="delivers the e-mails we send you (sign-in links, notices); it sees your "
            "address and the message",
            categories=(ACCOUNT,),
        )
    ]


async def verified_numbers(
    settings: Settings, vault: Vault, session: AsyncSession, subject_ref: str
) -> list[str]:
    """The phone references of the numbers an account proved it answers (its caller ids): what
    is held about those numbers (calls a business's agent answered, a place on a calling list)
    is the account holder's too, so their requests cover it."""
    rows = await session.scalars(select(CallerId.number).where(CallerId.subject_ref == subject_ref))
    key = settings.signing_key()
    return [phone_ref((await vault.decrypt(session, subject_ref, n)).decode(), key) for n in rows]


LINKS = (verified_numbers,)
