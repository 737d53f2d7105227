"""ring's tables: the call log (hashes and a masked tail, never a whole number, IP or visitor
id) and the do-not-ring list (keyed hashes of numbers whose owners opted out)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.store.base import Base, new_id
from ringfence.store.columns import NOT_PERSONAL, personal

LOG = "ring_log"
CALL_RECORDS = "ring_call_record"
DENYLIST = "ring_denylist"


class RingLog(Base):
    __tablename__ = "ring_log"
    __table_args__ = (
        Index("ix_ring_log_started_at", "started_at"),
        Index("ix_ring_log_visitor", "visitor"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    kind: Mapped[str] = mapped_column(String(8), info=NOT_PERSONAL)  # ring | optout
    visitor: Mapped[str] = mapped_column(String(80), info=personal(LOG))
    ip: Mapped[str] = mapped_column(String(80), info=personal(LOG))
    number_ref: Mapped[str] = mapped_column(String(80), info=personal(LOG))
    number_tail: Mapped[str] = mapped_column(String(24), info=personal(LOG))
    started_at: Mapped[dt.datetime] = mapped_column(info=personal(LOG))
    ended_at: Mapped[dt.datetime | None] = mapped_column(info=personal(LOG))
    outcome: Mapped[str] = mapped_column(String(16), info=personal(LOG))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False, info=personal(LOG))
    # The call placed for it: its row in ``call_records``, erased with the ringer's data.
    call_id: Mapped[str | None] = mapped_column(String(32), info=NOT_PERSONAL)


class DenylistEntry(Base):
    __tablename__ = "ring_denylist"

    number_ref: Mapped[str] = mapped_column(String(80), primary_key=True, info=personal(DENYLIST))
    added_at: Mapped[dt.datetime] = mapped_column(info=personal(DENYLIST))
    method: Mapped[str] = mapped_column(String(16), info=NOT_PERSONAL)  # keypress | code
