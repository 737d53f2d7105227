"""The abuse controls' tables: spent captcha solutions and rate-limit hits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.store.base import Base, new_sortable_id
from ringfence.store.columns import NOT_PERSONAL, personal

RATE_CATEGORY = "abuse_rate_counter"


class SpentCaptcha(Base):
    """A solution accepted once; kept until its challenge expires, so a replay is refused."""

    __tablename__ = "captcha_spent"
    __table_args__ = (Index("ix_captcha_spent_expires_at", "expires_at"),)

    digest: Mapped[str] = mapped_column(String(64), primary_key=True, info=NOT_PERSONAL)
    expires_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class RateHit(Base):
    """One counted action of one key (a keyed hash of a number, IP or anonymous id)."""

    __tablename__ = "rate_hits"
    __table_args__ = (
        Index("ix_rate_hits_bucket_key_at", "bucket", "key", "at"),
        Index("ix_rate_hits_at", "at"),
    )

    id: Mapped[str] = mapped_column(
        String(32), primary_key=True, default=new_sortable_id, info=NOT_PERSONAL
    )
    bucket: Mapped[str] = mapped_column(String(40), info=NOT_PERSONAL)
    key: Mapped[str] = mapped_column(String(80), info=personal(RATE_CATEGORY))
    at: Mapped[dt.datetime] = mapped_column(info=personal(RATE_CATEGORY))
