"""Accounts, their login sessions and the numbers they proved they answer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.store.base import Base, new_id, new_sortable_id
from ringfence.store.columns import NOT_PERSONAL, personal

ACCOUNT = "account"
SESSION = "account_session"
CALLER_ID = "caller_id"
USER = "user"
OPERATOR = "operator"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    # Encrypted with the account's data key; found by ``email_hash`` (``accounts.addresses``).
    email: Mapped[bytes] = mapped_column(LargeBinary, info=personal(ACCOUNT))
    email_hash: Mapped[str] = mapped_column(String(80), unique=True, info=personal(ACCOUNT))
    password_hash: Mapped[str] = mapped_column(String(200), info=personal(ACCOUNT))
    created_at: Mapped[dt.datetime] = mapped_column(info=personal(ACCOUNT))
    verified_at: Mapped[dt.datetime | None] = mapped_column(info=personal(ACCOUNT))
    # The TOTP secret, encrypted with the account's own data key (erasure shreds it).
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, info=personal(ACCOUNT))
    subject_ref: Mapped[str] = mapped_column(String(60), unique=True, info=personal(ACCOUNT))
    # "user", or "operator": may open the console (/admin) that runs the installation.
    role: Mapped[str] = mapped_column(
        String(16), default=USER, server_default=USER, info=personal(ACCOUNT)
    )
    # Set by an operator: the account cannot sign in, and its sessions stop working.
    suspended_at: Mapped[dt.datetime | None] = mapped_column(info=personal(ACCOUNT))


class AccountSession(Base):
    __tablename__ = "account_sessions"
    __table_args__ = (
        Index("ix_account_sessions_subject_ref", "subject_ref"),
        Index("ix_account_sessions_last_seen", "last_seen"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True, info=NOT_PERSONAL)
    account_id: Mapped[str] = mapped_column(String(32), info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(60), info=personal(SESSION))
    csrf: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    created_at: Mapped[dt.datetime] = mapped_column(info=personal(SESSION))
    last_seen: Mapped[dt.datetime] = mapped_column(info=personal(SESSION))


class CallerId(Base):
    """A number an account proved it answers (a code typed during a call), shown as caller id
    on the calls it places (dial's calls, a business's campaigns)."""

    __tablename__ = "caller_ids"
    __table_args__ = (Index("ix_caller_ids_subject_ref", "subject_ref"),)

    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=new_sortable_id, info=NOT_PERSONAL
    )
    subject_ref: Mapped[str] = mapped_column(String(60), info=personal(CALLER_ID))
    number: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CALLER_ID))  # encrypted
    number_tail: Mapped[str] = mapped_column(String(24), info=personal(CALLER_ID))
    verified_at: Mapped[dt.datetime] = mapped_column(info=personal(CALLER_ID))
