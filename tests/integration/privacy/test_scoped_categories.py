"""A service's share of a core table (``Category.rows``): ring's call records are the rows of
``call_records`` that ring placed. A shorter retention set for them sweeps only those rows, and
the counts the privacy pages show keep to them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from ringfence.privacy.categories import build_inventory
from ringfence.privacy.policy import holdings
from ringfence.privacy.retention import Sweeper
from ringfence.store import Database
from ringfence.telephony.models import CallRecord
from ringfence.testing import FakeClock

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


async def test_a_scoped_category_sweeps_and_counts_only_its_own_rows(
    db: Database, tmp_path: Path
) -> None:
    async with db.session() as session:
        for i, (service, age) in enumerate(
            [("ring", 10), ("ring", 2), ("dial", 10), ("agents", 10)]
        ):
            session.add(
                CallRecord(
                    id=f"call{i}",
                    direction="out",
                    service=service,
                    subject_ref=f"phone:{i}",
                    remote_masked="+*********12",
                    started_at=NOW - dt.timedelta(days=age),
                )
            )
    inventory = build_inventory().with_retention({"ring_call_record": 5})
    async with db.session() as session:
        counted = {h.category.name: h.records for h in await holdings(session, inventory, NOW)}
    assert counted["ring_call_record"] == 2 and counted["call_record"] == 4
    sweeper = Sweeper(db, inventory, FakeClock(NOW), data_dir=tmp_path, batch=100)
    due = await sweeper.sweep(dry_run=True)
    assert due.counts["ring_call_record"] == 1 and due.counts["call_record"] == 0
    await sweeper.sweep()
    async with db.session() as session:
        left = sorted((await session.scalars(select(CallRecord.id))).all())
    assert left == ["call1", "call2", "call3"]  # the old ring call only
