"""dial's call history (the number encrypted with the account's own key, the rest plain) and its
address book (name, number and note all encrypted with that key, which erasing the account
destroys)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.store.base import Base, new_sortable_id
from ringfence.store.columns import NOT_PERSONAL, personal

HISTORY = "dial_call"
CALLED = "dial_call_to_number"  # the same rows, as data about the person whose number was rung
CONTACTS = "dial_contact"


class DialCall(Base):
    __tablename__ = "dial_calls"
    __table_args__ = (
        Index("ix_dial_calls_subject_ref", "subject_ref"),
        Index("ix_dial_calls_started_at", "started_at"),
        Index("ix_dial_calls_callee_ref", "callee_ref"),
    )

    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=new_sortable_id, info=NOT_PERSONAL
    )
    subject_ref: Mapped[str] = mapped_column(String(60), info=personal(HISTORY))
    number: Mapped[bytes] = mapped_column(LargeBinary, info=personal(HISTORY))  # encrypted
    number_tail: Mapped[str] = mapped_column(String(24), info=personal(HISTORY))
    # The rung number's subject reference (an HMAC, not the number): how a request by the
    # number's holder finds the calls made to it. Cleared when they erase; None on calls made
    # before it was kept.
    callee_ref: Mapped[str | None] = mapped_column(String(80), info=personal(CALLED))
    started_at: Mapped[dt.datetime] = mapped_column(info=personal(HISTORY))
    answered_at: Mapped[dt.datetime | None] = mapped_column(info=personal(HISTORY))
    duration: Mapped[float] = mapped_column(Float, default=0.0, info=personal(HISTORY))
    status: Mapped[str] = mapped_column(String(16), info=personal(HISTORY))
    cost: Mapped[int] = mapped_column(BigInteger, default=0, info=personal(HISTORY))
    currency: Mapped[str] = mapped_column(String(3), info=NOT_PERSONAL)


class DialContact(Base):
    """One entry of an account's address book. Every field a person typed is ciphertext: a search
    decrypts the account's own few contacts in memory, so nothing here is indexed by content."""

    __tablename__ = "dial_contacts"
    __table_args__ = (Index("ix_dial_contacts_subject_ref", "subject_ref"),)

    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=new_sortable_id, info=NOT_PERSONAL
    )
    subject_ref: Mapped[str] = mapped_column(String(60), info=personal(CONTACTS))
    name: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CONTACTS))  # encrypted
    number: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CONTACTS))  # encrypted
    note: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal(CONTACTS))  # encrypted
    created_at: Mapped[dt.datetime] = mapped_column(info=personal(CONTACTS))
    updated_at: Mapped[dt.datetime] = mapped_column(info=personal(CONTACTS))
