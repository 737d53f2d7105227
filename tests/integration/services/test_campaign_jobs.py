"""The campaign jobs around the dialler: a running campaign whose dialling lease lapsed (its
workers died) is taken over by one watching worker, which starts its slices; a wake starts the
campaign's slices, and a slice that stops for later schedules one wake for then, never a pile
of them."""

from __future__ import annotations

import datetime as dt

import pytest

from ringfence.jobs import JobContext
from ringfence.services.agents import jobs
from ringfence.services.agents.campaigns.service import DIAL_JOB
from ringfence.services.agents.models import Campaign
from ringfence.services.agents.testing import CONSENTED, Enqueued, open_shop
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session
from ringfence.testing.clock import FakeClock
from tests.conftest import ENGINES, SettingsFactory

pytestmark = pytest.mark.integration


@ENGINES
async def test_a_lapsed_lease_is_taken_over_once_and_wakes_are_not_piled_up(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    clock = FakeClock(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC))
    settings = make_settings(database_url=database_url, agents={"calling_hours": (0, 24)})
    lease = settings.agents.campaign_lease_seconds
    shop = await open_shop(settings, db, clock, [("+12125550100", CONSENTED)])
    campaign = await shop.campaign()
    queued = Enqueued()
    ctx = JobContext(settings, db, clock, queued)
    slices = [(DIAL_JOB, shop.tenant_id, campaign)] * settings.agents.campaign_slices
    assert await jobs.campaign_leases.fn(ctx) == 0  # a draft: nothing to take over
    await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    queued.jobs.clear()  # the start's own slices, lost with a worker
    assert await jobs.campaign_leases.fn(ctx) == 0  # the start took the lease for them
    clock.advance(seconds=lease + 0.1)
    assert await jobs.campaign_leases.fn(ctx) == 1  # running, a call due, the lease lapsed
    assert queued.jobs == slices
    assert await jobs.campaign_leases.fn(ctx) == 0  # taken over: the lease is held again
    clock.advance(seconds=lease / 2)
    assert await jobs.campaign_leases.fn(ctx) == 0  # not lapsed yet
    clock.advance(seconds=lease / 2 + 0.1)
    assert await jobs.campaign_leases.fn(ctx) == 1  # the new slices never renewed it

    async with tenant_session(db, shop.tenant_id) as session:
        row = await session.get(Campaign, campaign)
        assert row is not None
        row.seen_at = clock.now() - dt.timedelta(seconds=2 * lease)
        row.wake_at = clock.now() + dt.timedelta(seconds=60)
    assert await jobs.campaign_leases.fn(ctx) == 0  # idle until a wake it scheduled
    clock.advance(seconds=60 + lease + 1)
    assert await jobs.campaign_leases.fn(ctx) == 1  # the wake is a lease overdue: lost

    await jobs.campaign_wake.fn(ctx, shop.tenant_id, campaign)
    assert queued.jobs[-len(slices) :] == slices

    queued.jobs.clear()
    await jobs._schedule_wake(ctx, shop.tenant_id, campaign, 600)
    await jobs._schedule_wake(ctx, shop.tenant_id, campaign, 900)  # one is due sooner already
    await jobs._schedule_wake(ctx, shop.tenant_id, campaign, 300)  # sooner: scheduled too
    assert [j[0] for j in queued.jobs] == [jobs.WAKE_JOB, jobs.WAKE_JOB]
    await shop.campaigns.cancel(shop.owner, shop.tenant_id, campaign)
    queued.jobs.clear()
    await jobs.campaign_wake.fn(ctx, shop.tenant_id, campaign)
    assert queued.jobs == []  # a cancelled campaign starts no slice
