"""A job whose retries ran out: kept so it is never lost and can be run again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.store.base import Base, new_id
from ringfence.store.columns import NOT_PERSONAL, personal


class JobFailure(Base):
    __tablename__ = "job_failures"
    __table_args__ = (Index("ix_job_failures_failed_at", "failed_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    job_name: Mapped[str] = mapped_column(String(200), info=NOT_PERSONAL)
    task_id: Mapped[str] = mapped_column(String(64), info=NOT_PERSONAL)
    # The job's arguments, so `ringfence jobs retry` can run it again. Jobs take ids, not personal
    # data, as arguments; the privacy inventory tags this column (job_payload) all the same.
    args: Mapped[list[object]] = mapped_column(JSON, info=personal("job_payload"))
    attempts: Mapped[int] = mapped_column(Integer, info=NOT_PERSONAL)
    error_type: Mapped[str] = mapped_column(String(200), info=NOT_PERSONAL)
    error_message: Mapped[str] = mapped_column(Text, info=personal("job_payload"))
    failed_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    retried_at: Mapped[dt.datetime | None] = mapped_column(info=NOT_PERSONAL)
