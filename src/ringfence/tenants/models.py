"""Tenants, their members, the numbers they proved they control, and the mixin every
tenant-owned table uses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ringfence.store.base import Base, new_id
from ringfence.store.columns import NOT_PERSONAL, personal

MEMBERSHIP = "tenant_membership"
CLOSED_BUSINESS = "closed_business"
CLOSED_KEEP_DAYS = 30  # a closed business's data is kept this long, then purged
BUSINESS_NUMBERS = "business_numbers"
RIGHTS_NOTICES = "rights_notice"


class TenantScoped:
    """A row owned by one tenant. Reads and writes go through ``tenant_session`` (scoped)."""

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:
        return mapped_column(String(32), index=True, info=NOT_PERSONAL)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    name: Mapped[str] = mapped_column(String(120), info=NOT_PERSONAL)  # a business's name
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    # Days its call records are kept, when the business asked in writing for longer (audited).
    record_retention_days: Mapped[int | None] = mapped_column(info=NOT_PERSONAL)
    # Set by the operator: the business's agents neither answer nor dial until it is lifted.
    suspended_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    # Closed by an owner or the operator: nothing answers or dials from then on, and at
    # ``purge_at`` the sweeper deletes every row of the business and the keys only it used.
    closed_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    purge_at: Mapped[dt.datetime | None] = mapped_column(index=True, info=NOT_PERSONAL)
    # Set by the operator: the agent minutes the business may use in a calendar month (UTC);
    # None: no limit but its credit.
    minutes_per_month: Mapped[int | None] = mapped_column(info=NOT_PERSONAL)

    @property
    def halted(self) -> bool:
        """Its agents neither answer nor dial: suspended by the operator, or closed."""
        return self.suspended_at is not None or self.closed_at is not None


class Membership(Base):
    __tablename__ = "tenant_memberships"
    __table_args__ = (
        UniqueConstraint("tenant_id", "account_id"),
        Index("ix_tenant_memberships_subject_ref", "subject_ref"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    account_id: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(60), info=personal(MEMBERSHIP))
    role: Mapped[str] = mapped_column(String(16), info=personal(MEMBERSHIP))
    created_at: Mapped[dt.datetime] = mapped_column(info=personal(MEMBERSHIP))


class VerifiedNumber(TenantScoped, Base):
    """A number the business proved it controls (someone there typed a code during a call to
    it): the only numbers its agents answer and it shows as caller id. The number is
    encrypted with its own subject's key (whoever answers it: a sole trader's mobile is
    personal data); a keyed hash finds it without decrypting."""

    __tablename__ = "tenant_numbers"
    __table_args__ = (UniqueConstraint("tenant_id", "subject_ref"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(
        String(80), index=True, info=personal(BUSINESS_NUMBERS)
    )
    number: Mapped[bytes] = mapped_column(LargeBinary, info=personal(BUSINESS_NUMBERS))
    number_tail: Mapped[str] = mapped_column(String(2), info=personal(BUSINESS_NUMBERS))
    verified_at: Mapped[dt.datetime] = mapped_column(info=personal(BUSINESS_NUMBERS))


INVITATION = "tenant_invitation"
INVITATION_DAYS = 7  # an invitation not answered by then is swept


class MemberInvitation(TenantScoped, Base):
    """An invitation to join a business, pending until the invitee accepts or declines it, the
    business cancels it, or it expires. The address is kept only as a keyed hash (to check the
    accepting account's and to refuse a second invitation) and masked (for the pending list),
    so the row says nothing about whether the address has an account."""

    __tablename__ = "tenant_invitations"
    __table_args__ = (UniqueConstraint("tenant_id", "email_hash"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    email_hash: Mapped[str] = mapped_column(String(80), info=personal(INVITATION))
    email_masked: Mapped[str] = mapped_column(String(80), info=personal(INVITATION))
    role: Mapped[str] = mapped_column(String(16), info=personal(INVITATION))
    invited_by: Mapped[str] = mapped_column(String(60), info=personal(INVITATION))
    created_at: Mapped[dt.datetime] = mapped_column(info=personal(INVITATION))
    expires_at: Mapped[dt.datetime] = mapped_column(index=True, info=personal(INVITATION))


class RightsNotice(TenantScoped, Base):
    """A privacy request that reached this business's records: someone who proved they answer a
    number asked for a copy of, a restriction of or the erasure of what the platform holds about
    it. The platform carried it out; the business sees what was affected and the legal deadline
    by which it must also answer for any copy it keeps elsewhere, and acknowledges it. The
    number is never here: only the request's id, what it asked and which records it touched."""

    __tablename__ = "tenant_rights_notices"
    __table_args__ = (UniqueConstraint("tenant_id", "request_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    request_id: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(32), info=personal(RIGHTS_NOTICES))
    # [{"category", "title", "records"}]: counts, never the records themselves
    affected: Mapped[list[dict[str, object]]] = mapped_column(JSON, info=personal(RIGHTS_NOTICES))
    received_at: Mapped[dt.datetime] = mapped_column(info=personal(RIGHTS_NOTICES))
    answer_by: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)


class ApiKey(Base):
    """A business's key for its own systems to call the agents API (``Authorization: Bearer``),
    limited to its scopes. Only a hash is kept (the key is shown once); a revoked key is kept,
    refused, so the list says when it stopped. Not tenant-scoped: a request's key is looked up
    before anyone knows whose it is; it holds no data of anybody."""

    __tablename__ = "tenant_api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    name: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, info=NOT_PERSONAL)
    hint: Mapped[str] = mapped_column(String(12), info=NOT_PERSONAL)  # the key's first characters
    scopes: Mapped[str] = mapped_column(String(200), info=NOT_PERSONAL)  # space separated
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
