"""The campaign jobs around the dialler: a running campaign whose dialling lease lapsed (its
workers died) is taken over by one watching worker, which starts its slices; a wake starts the
campaign's slices, and a slice that stops for later schedules one wake for then, never a pile
of them."""

from __future__ import annotations

import datetime as dt

import pytest

from ringfence.billing.ledger import Ledger, business
from ringfence.jobs import JobContext
from ringfence.services.agents import jobs
from ringfence.services.agents.calls.charges import NO_CREDIT, NO_MINUTES
from ringfence.services.agents.campaigns.service import DIAL_JOB
from ringfence.services.agents.models import Campaign
from ringfence.services.agents.testing import CONSENTED, Enqueued, open_shop
from ringfence.store import Database
from ringfence.tenants.models import Tenant
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


@ENGINES
async def test_a_campaign_paused_for_credit_or_minutes_resumes_once_it_can_go_on(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    clock = FakeClock(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC))
    settings = make_settings(database_url=database_url, agents={"calling_hours": (0, 24)})
    shop = await open_shop(settings, db, clock, [("+12125550100", CONSENTED)])
    campaign = await shop.campaign()
    queued = Enqueued()
    ctx = JobContext(settings, db, clock, queued)
    slices = [(DIAL_JOB, shop.tenant_id, campaign)] * settings.agents.campaign_slices

    async def paused_for(reason: str) -> None:
        async with tenant_session(db, shop.tenant_id) as session:
            row = await session.get(Campaign, campaign)
            assert row is not None
            row.state, row.pause_reason = "paused", reason
        queued.jobs.clear()

    async def state() -> tuple[str, str | None]:
        async with tenant_session(db, shop.tenant_id) as session:
            row = await session.get(Campaign, campaign)
            assert row is not None
            return row.state, row.pause_reason

    # Out of credit: it waits for a grant, then goes on by itself, once.
    await paused_for(NO_CREDIT)
    assert await jobs.campaign_credit.fn(ctx) == 0 and queued.jobs == []
    async with db.session() as session:
        await Ledger(clock).adjust(
            session, "grant", business(shop.tenant_id), 100, "EUR", reason="top-up", reference="g"
        )
    assert await jobs.campaign_credit.fn(ctx) == 1 and queued.jobs == slices
    assert await state() == ("running", None)
    assert await jobs.campaign_credit.fn(ctx) == 0  # running: nothing more to do

    # Out of the month's minutes: it waits for a larger quota.
    async with db.session() as session:
        tenant = await session.get(Tenant, shop.tenant_id)
        assert tenant is not None
        tenant.minutes_per_month = 0
    await paused_for(NO_MINUTES)
    assert await jobs.campaign_credit.fn(ctx) == 0 and await state() == ("paused", NO_MINUTES)
    async with db.session() as session:
        tenant = await session.get(Tenant, shop.tenant_id)
        assert tenant is not None
        tenant.minutes_per_month = 60
    assert await jobs.campaign_credit.fn(ctx) == 1 and queued.jobs == slices
    assert await state() == ("running", None)

    # Paused by a person: left alone.
    await paused_for("")
    assert await jobs.campaign_credit.fn(ctx) == 0
