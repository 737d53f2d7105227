"""Call records: what happened on each call, with the other party's number only as an HMAC and a
masked tail (enough to recognise a call, not to dial it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.store.base import Base
from ringfence.store.columns import NOT_PERSONAL, personal

CATEGORY = "call_record"


class CallRecord(Base):
    __tablename__ = "call_records"
    __table_args__ = (
        Index("ix_call_records_started_at", "started_at"),
        Index("ix_call_records_subject_ref", "subject_ref"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    direction: Mapped[str] = mapped_column(String(8), info=NOT_PERSONAL)
    service: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    carrier: Mapped[str | None] = mapped_column(String(64), info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(120), info=personal(CATEGORY))
    remote_masked: Mapped[str] = mapped_column(String(40), info=personal(CATEGORY))
    started_at: Mapped[dt.datetime] = mapped_column(info=personal(CATEGORY))
    answered_at: Mapped[dt.datetime | None] = mapped_column(info=personal(CATEGORY))
    ended_at: Mapped[dt.datetime | None] = mapped_column(info=personal(CATEGORY))
    status: Mapped[int | None] = mapped_column(Integer, info=NOT_PERSONAL)
    end_reason: Mapped[str | None] = mapped_column(String(16), info=NOT_PERSONAL)
    ended_by: Mapped[str | None] = mapped_column(String(8), info=NOT_PERSONAL)
    duration: Mapped[float] = mapped_column(Float, default=0.0, info=personal(CATEGORY))


PROOFS = "phone_proof"


class PhoneProof(Base):
    """A call in which someone typed the code a page showed: proof that they answer the number,
    which their browser may turn once (``claimed_at``) into a short session for privacy requests
    about it. The number only as its subject reference (a keyed hash)."""

    __tablename__ = "phone_proofs"
    __table_args__ = (Index("ix_phone_proofs_subject_ref", "subject_ref"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(120), info=personal(PROOFS))
    proved_at: Mapped[dt.datetime] = mapped_column(info=personal(PROOFS))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(info=personal(PROOFS))
    expires_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
