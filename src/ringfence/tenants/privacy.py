"""Tenancy's categories: who is a member of which business, in which role; who was invited;
the numbers a business proved it controls; the privacy requests that reached its records; and
what a closed business kept, until its purge."""

from __future__ import annotations

from ringfence.privacy.inventory import Cascade, Category, LegalBasis, Retention, SubjectKind
from ringfence.tenants.models import (
    BUSINESS_NUMBERS,
    CLOSED_BUSINESS,
    CLOSED_KEEP_DAYS,
    INVITATION,
    INVITATION_DAYS,
    MEMBERSHIP,
    RIGHTS_NOTICES,
)

CATEGORIES = (
    Category(
        name=MEMBERSHIP,
        service="platform",
        title="Your business memberships",
        store="tenant_memberships",
        fields=("subject_ref", "role", "created_at"),
        purpose="Let you work in a business's account with the rights of your role.",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.while_("as long as you are a member; removed with you"),
        subject=SubjectKind.ACCOUNT,
        subject_field="subject_ref",
    ),
    Category(
        name=BUSINESS_NUMBERS,
        service="platform",
        title="A number a business proved it answers",
        store="tenant_numbers",
        fields=("subject_ref", "number", "number_tail", "verified_at"),
        purpose="Let a business route calls to its AI agents from, and show as caller id, only "
        "numbers someone there proved they answer, by typing a code during a call to it. "
        "The number is encrypted with a key of its own; a keyed hash finds it.",
        legal_basis=LegalBasis.CONTRACT,
        retention=Retention.while_("as long as the business keeps it, or until you ask us"),
        encrypted=True,
        subject=SubjectKind.PHONE,
        subject_field="subject_ref",
    ),
    Category(
        name=INVITATION,
        service="platform",
        title="Invitations to join a business",
        store="tenant_invitations",
        fields=("email_hash", "email_masked", "role", "invited_by", "created_at", "expires_at"),
        purpose="Invite someone to a business by e-mail and add them only when they accept: "
        "a keyed hash of the address (to check the account that accepts) and a masked form "
        "of it (for the business's list of pending invitations), never the address itself.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(INVITATION_DAYS),
        timestamp="created_at",
        expires_field="expires_at",
        subject=SubjectKind.NONE,
    ),
    Category(
        name=CLOSED_BUSINESS,
        service="platform",
        title="What a closed business kept",
        store="tenants",
        fields=("closed_at", "purge_at"),
        purpose="When a business closes its account (or the operator closes it), its agents "
        "stop answering and calling at once. What it kept about you (calls, recordings, "
        "contact lists, campaigns, voices, numbers, memberships) stays readable to its members "
        "for a while, then all of it is deleted, with the encryption keys only it used.",
        legal_basis=LegalBasis.LEGITIMATE_INTERESTS,
        retention=Retention.duration(CLOSED_KEEP_DAYS),
        timestamp="closed_at",
        expires_field="purge_at",
        at_expiry=Cascade(column="tenant_id"),
        subject=SubjectKind.NONE,
    ),
    Category(
        name=RIGHTS_NOTICES,
        service="platform",
        title="Privacy requests passed on to a business",
        store="tenant_rights_notices",
        fields=("kind", "affected", "received_at"),
        purpose="Tell each business whose records a privacy request about your phone number "
        "touched what was asked, which of its records were affected (counts only, never your "
        "number) and by when it must answer for any copy it keeps elsewhere.",
        legal_basis=LegalBasis.LEGAL_OBLIGATION,
        retention=Retention.duration(1095),
        timestamp="received_at",
        legal_hold="kept to prove the request was passed on (GDPR art. 19 and 5(2))",
    ),
)
