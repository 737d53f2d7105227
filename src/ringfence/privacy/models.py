"""The privacy core's own tables: audit log, consents, rights requests, data keys, restrictions,
the policy versions that date the privacy policy, and the register of breaches."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.store.base import Base, new_id, new_sortable_id
from ringfence.store.columns import NOT_PERSONAL, personal


class AuditEntry(Base):
    """Append-only (an UPDATE trigger refuses changes); expired entries are swept."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_subject_ref", "subject_ref"),
    )

    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=new_sortable_id, info=NOT_PERSONAL
    )
    at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    actor_kind: Mapped[str] = mapped_column(
        String(16), info=NOT_PERSONAL
    )  # system|subject|operator
    actor_id: Mapped[str] = mapped_column(String(80), info=personal("audit_log"))
    action: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
    category: Mapped[str | None] = mapped_column(String(80), info=NOT_PERSONAL)
    subject_ref: Mapped[str | None] = mapped_column(String(120), info=personal("audit_log"))
    # Counts and ids only: never message content, numbers or names.
    detail: Mapped[dict[str, object]] = mapped_column(JSON, info=personal("audit_log"))


class ConsentRecord(Base):
    __tablename__ = "consent_records"
    __table_args__ = (
        Index("ix_consent_records_subject_ref", "subject_ref"),
        Index("ix_consent_records_at", "at"),
    )

    # Sortable: of two choices made in the same instant, the later one is the one in force.
    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=new_sortable_id, info=NOT_PERSONAL
    )
    subject_ref: Mapped[str] = mapped_column(String(120), info=personal("consent_record"))
    purpose: Mapped[str] = mapped_column(String(64), info=personal("consent_record"))
    granted: Mapped[bool] = mapped_column(Boolean, info=personal("consent_record"))
    method: Mapped[str] = mapped_column(String(32), info=personal("consent_record"))
    service: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    policy_version: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    at: Mapped[dt.datetime] = mapped_column(info=personal("consent_record"))


class RightsRequest(Base):
    __tablename__ = "rights_requests"
    __table_args__ = (
        Index("ix_rights_requests_subject_ref", "subject_ref"),
        Index("ix_rights_requests_received_at", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(32), info=personal("rights_request"))
    subject_ref: Mapped[str] = mapped_column(String(120), info=personal("rights_request"))
    status: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)
    verified_via: Mapped[str | None] = mapped_column(String(32), info=NOT_PERSONAL)
    received_at: Mapped[dt.datetime] = mapped_column(info=personal("rights_request"))
    acknowledge_by: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    answer_by: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    extended: Mapped[bool] = mapped_column(Boolean, default=False, info=NOT_PERSONAL)
    extension_reason: Mapped[str | None] = mapped_column(Text, info=NOT_PERSONAL)
    completed_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    # What the subject asked for (a rectification's new values), and the signed receipt.
    payload: Mapped[dict[str, object]] = mapped_column(JSON, info=personal("rights_request"))
    receipt: Mapped[str | None] = mapped_column(Text, info=personal("rights_request"))
    receipt_token_hash: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)


class DataKey(Base):
    """A subject's AES-256 data key, wrapped by a master key; deleting it crypto-shreds."""

    __tablename__ = "data_keys"

    subject_ref: Mapped[str] = mapped_column(
        String(120), primary_key=True, info=personal("data_key")
    )
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary, info=personal("data_key"))
    master_key_id: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class ProcessingRestriction(Base):
    """A subject's restriction of (or objection to) processing, until lifted."""

    __tablename__ = "processing_restrictions"

    subject_ref: Mapped[str] = mapped_column(
        String(120), primary_key=True, info=personal("processing_restriction")
    )
    kind: Mapped[str] = mapped_column(
        String(16), primary_key=True, info=personal("processing_restriction")
    )
    since: Mapped[dt.datetime] = mapped_column(info=personal("processing_restriction"))


class PolicyVersion(Base):
    """When each version of the inventory was first served: the policy's "last updated"."""

    __tablename__ = "policy_versions"

    fingerprint: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    first_seen: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    # When account holders were told of this version (once, by whichever process got there
    # first); never for the first version, which changed nothing anyone had seen.
    announced_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)


class Breach(Base):
    """A personal-data breach, recorded by the operator when found (GDPR art. 33(5): every
    breach is documented, with its facts, its effects and what was done, notified or not)."""

    __tablename__ = "breaches"

    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=new_sortable_id, info=NOT_PERSONAL
    )
    what: Mapped[str] = mapped_column(Text, info=personal("breach_record"))
    found_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    categories: Mapped[list[str]] = mapped_column(JSON, info=NOT_PERSONAL)
    subjects_affected: Mapped[int] = mapped_column(info=NOT_PERSONAL)
    authority_notified_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    subjects_notified_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
    recorded_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    recorded_by: Mapped[str] = mapped_column(String(80), info=personal("breach_record"))
