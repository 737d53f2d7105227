"""Tenancy's category: who is a member of which business, in which role."""

from __future__ import annotations

from ringfence.privacy.inventory import Category, LegalBasis, Retention, SubjectKind
from ringfence.tenants.models import MEMBERSHIP

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
)
