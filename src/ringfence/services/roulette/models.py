"""roulette's tables: bans of reported IP addresses (as keyed hashes) and the appeals of banned
people. Chats, images, audio and who talked to whom are never stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.store.base import Base, new_id
from ringfence.store.columns import NOT_PERSONAL, personal

BAN = "roulette_ban"


class Ban(Base):
    __tablename__ = "roulette_bans"
    __table_args__ = (
        Index("ix_roulette_bans_ip_key", "ip_key"),
        Index("ix_roulette_bans_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    ip_key: Mapped[str] = mapped_column(String(80), info=personal(BAN))
    created_at: Mapped[dt.datetime] = mapped_column(info=personal(BAN))
    until: Mapped[dt.datetime] = mapped_column(info=personal(BAN))
    # Why the person was reported (one of bans.REASONS), for the operator who reviews reports.
    reason: Mapped[str | None] = mapped_column(String(20), info=personal(BAN))
    # A keyed hash of the reporting address: the operator sees how many different people
    # reported an address, never who. Empty for bans from before reporters were counted.
    reporter_key: Mapped[str | None] = mapped_column(String(80), info=personal(BAN))
    # When the operator lifted the ban (its end is then moved to that moment).
    lifted_at: Mapped[dt.datetime | None] = mapped_column(info=personal(BAN))


APPEAL = "roulette_appeal"


class Appeal(Base):
    """A banned person's appeal: what they wrote, until the operator upholds or lifts the ban."""

    __tablename__ = "roulette_appeals"
    __table_args__ = (
        Index("ix_roulette_appeals_ip_key", "ip_key"),
        Index("ix_roulette_appeals_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    ip_key: Mapped[str] = mapped_column(String(80), info=personal(APPEAL))
    created_at: Mapped[dt.datetime] = mapped_column(info=personal(APPEAL))
    text: Mapped[str] = mapped_column(Text, info=personal(APPEAL))
    # None while it waits for the operator; then "upheld" (the ban stands) or "lifted".
    decision: Mapped[str | None] = mapped_column(String(10), info=personal(APPEAL))
    decided_at: Mapped[dt.datetime | None] = mapped_column(info=personal(APPEAL))
