"""How each of dial's calls sounded: the browser's and the phone network's figures and the
rating, one row a call, kept as long as the call's history row and with it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.media.quality import LinkQuality, overall
from ringfence.store.base import Base
from ringfence.store.columns import NOT_PERSONAL, personal

QUALITY = "dial_call_quality"


class DialCallQuality(Base):
    __tablename__ = "dial_call_quality"
    __table_args__ = (
        Index("ix_dial_call_quality_subject_ref", "subject_ref"),
        Index("ix_dial_call_quality_started_at", "started_at"),
    )

    call_id: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(60), info=personal(QUALITY))
    started_at: Mapped[dt.datetime] = mapped_column(info=personal(QUALITY))  # the call's
    rating: Mapped[str] = mapped_column(String(8), info=personal(QUALITY))
    browser_jitter_ms: Mapped[float | None] = mapped_column(Float, info=personal(QUALITY))
    browser_loss_pct: Mapped[float | None] = mapped_column(Float, info=personal(QUALITY))
    browser_rtt_ms: Mapped[float | None] = mapped_column(Float, info=personal(QUALITY))
    phone_jitter_ms: Mapped[float | None] = mapped_column(Float, info=personal(QUALITY))
    phone_loss_pct: Mapped[float | None] = mapped_column(Float, info=personal(QUALITY))
    phone_rtt_ms: Mapped[float | None] = mapped_column(Float, info=personal(QUALITY))


def quality_row(
    call_id: str,
    subject_ref: str,
    started_at: dt.datetime,
    browser: LinkQuality,
    phone: LinkQuality,
) -> DialCallQuality | None:
    """The row to keep for a call; None when neither leg measured anything (no call)."""
    rating = overall(browser, phone)
    if rating is None:
        return None
    return DialCallQuality(
        call_id=call_id,
        subject_ref=subject_ref,
        started_at=started_at,
        rating=rating.value,
        browser_jitter_ms=browser.jitter_ms,
        browser_loss_pct=browser.loss_pct,
        browser_rtt_ms=browser.rtt_ms,
        phone_jitter_ms=phone.jitter_ms,
        phone_loss_pct=phone.loss_pct,
        phone_rtt_ms=phone.rtt_ms,
    )


def quality_dict(row: DialCallQuality) -> dict[str, Any]:
    """What the page shows after the call: the rating and each leg's figures."""
    return {
        "rating": row.rating,
        "browser": {
            "jitter_ms": row.browser_jitter_ms,
            "loss_pct": row.browser_loss_pct,
            "rtt_ms": row.browser_rtt_ms,
        },
        "phone": {
            "jitter_ms": row.phone_jitter_ms,
            "loss_pct": row.phone_loss_pct,
            "rtt_ms": row.phone_rtt_ms,
        },
    }
