"""The campaign jobs around the dialler: a running campaign whose workers died is woken by the
watch, a wake starts the campaign's slices, and a slice that stops for later schedules one wake
for then, never a pile of them."""

from __future__ import annotations

import datetime as dt

import pytest

from ringfence.jobs import JobContext
from ringfence.services.agents import jobs
from ringfence.services.agents.models import Campaign
from ringfence.services.agents.testing import CONSENTED, Enqueued, open_shop
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session
from ringfence.testing.clock import FakeClock
from tests.conftest import SettingsFactory

pytestmark = pytest.mark.integration


async def test_the_watch_wakes_a_stalled_campaign_and_wakes_are_not_piled_up(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    clock = FakeClock(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC))
    settings = make_settings(database_url=database_url, agents={"calling_hours": (0, 24)})
    shop = await open_shop(settings, db, clock, [("+12125550100", CONSENTED)])
    campaign = await shop.campaign()
    queued = Enqueued()
    ctx = JobContext(settings, db, clock, queued)
    assert await jobs.campaign_watch.fn(ctx) == 0  # a draft: nothing to wake
    await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    assert await jobs.campaign_watch.fn(ctx) == 1  # running, a call due, no dialler looked
    assert queued.jobs == [(jobs.WAKE_JOB, shop.tenant_id, campaign)]
    await jobs.campaign_wake.fn(ctx, shop.tenant_id, campaign)
    slices = [j for j in queued.jobs if j[0] == "agents.campaign_dial"]
    assert len(slices) == settings.agents.campaign_slices

    async with tenant_session(db, shop.tenant_id) as session:
        row = await session.get(Campaign, campaign)
        assert row is not None
        row.seen_at = clock.now()  # a dialler looked just now
    assert await jobs.campaign_watch.fn(ctx) == 0  # not stalled
    clock.advance(seconds=2 * settings.agents.campaign_lease_seconds + 1)
    assert await jobs.campaign_watch.fn(ctx) == 1  # its dialler died

    queued.jobs.clear()
    await jobs._schedule_wake(ctx, shop.tenant_id, campaign, 600)
    await jobs._schedule_wake(ctx, shop.tenant_id, campaign, 900)  # one is due sooner already
    await jobs._schedule_wake(ctx, shop.tenant_id, campaign, 300)  # sooner: scheduled too
    assert [j[0] for j in queued.jobs] == [jobs.WAKE_JOB, jobs.WAKE_JOB]
    await shop.campaigns.cancel(shop.owner, shop.tenant_id, campaign)
    queued.jobs.clear()
    await jobs.campaign_wake.fn(ctx, shop.tenant_id, campaign)
    assert queued.jobs == []  # a cancelled campaign starts no slice
