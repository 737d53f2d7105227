"""Campaign dialling on the job queue.

``campaign_dial`` is one slice of a campaign's dialling (``dialler``); several run at once on
any workers. A slice that stops because the next call is due later schedules one
``campaign_wake`` for then (only one per wake time: the campaign row records it), which starts
the campaign's slices again.

A running slice holds the campaign's dialling lease (``Campaign.seen_at``, renewed by its
heartbeat every third of ``campaign_lease_seconds``). When the worker process holding every
slice dies (``kill -9``: its jobs are gone with it), the lease lapses; ``campaign_leases``, a
watch every live worker process runs every ``LEASE_WATCH`` seconds, takes the lapsed lease over
(one process wins it) and starts the campaign's slices again, which reap the dead worker's
calls (interrupted, never repeated) and dial the rest: dialling resumes about a lease after
the death, not at the next minute's watch.

A campaign that paused itself because the business's credit ran out, or its month's agent
minutes, resumes by itself once the operator has granted credit (or the month is over, or the
quota raised): ``campaign_credit``, a watch every ``CREDIT_WATCH`` seconds, starts its slices
again (one process wins each campaign).

Each worker thread keeps one outbound-only telephony engine (its own SIP port; it never
registers with a trunk) for all the campaign calls it places.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update

from ringfence.errors import ConfigurationError
from ringfence.jobs import JobContext, registry
from ringfence.jobs.context import Closer
from ringfence.logging import get_logger
from ringfence.privacy.core import job_privacy
from ringfence.services.agents.calls.charges import (
    NO_CREDIT,
    NO_MINUTES,
    AgentCharges,
    QuotaReached,
)
from ringfence.services.agents.calls.outbound import OutboundCaller
from ringfence.services.agents.campaigns.dialler import OPEN, Dialler
from ringfence.services.agents.campaigns.service import DIAL_JOB
from ringfence.services.agents.evaluations.service import EVALUATION_JOB, Evaluations
from ringfence.services.agents.hooks.webhooks import Deliveries
from ringfence.services.agents.models import Campaign, CampaignCall
from ringfence.telephony import TelephonyEngine
from ringfence.telephony.testphone import LENT_AS as TEST_PHONE
from ringfence.telephony.testphone import TestPhone
from ringfence.tenants.scoping import tenant_session

log = get_logger(__name__)
WAKE_JOB = "agents.campaign_wake"
LEASE_WATCH = 2.0  # seconds between two looks of a worker process for lapsed campaign leases
WEBHOOK_WATCH = 1.0  # seconds between two looks for post-call webhooks due
WEBHOOK_JOB = "agents.webhook_send"
CREDIT_WATCH = 5.0  # seconds between two looks for campaigns paused for credit that has come


async def _engine(ctx: JobContext) -> tuple[TelephonyEngine, Closer]:
    """The worker thread's engine: the operator's carriers and, where this process runs the
    app's test phone (the default install), the test phone too."""
    phone: TestPhone | None = ctx.lent.get(TEST_PHONE)
    if not ctx.settings.telephony.carriers and phone is None:
        raise ConfigurationError(
            "campaigns and evaluations need a carrier (RINGFENCE_TELEPHONY__CARRIERS), or the "
            "test phone in the process that runs them"
        )
    privacy = await job_privacy(ctx)
    engine = TelephonyEngine(ctx.settings, privacy=privacy, port=0, outbound_only=True)
    await engine.start()
    if phone is None:
        return engine, engine.stop
    try:
        given_back = await phone.serve(engine)
    except BaseException:
        await engine.stop()
        raise

    async def close() -> None:
        await engine.stop()
        await given_back()

    return engine, close


@registry.job(name=DIAL_JOB, retries=3, retry_delay=5.0, backoff=2.0)
async def campaign_dial(ctx: JobContext, tenant_id: str, campaign_id: str) -> None:
    engine = await ctx.resource("agents.telephony", _engine)
    privacy = await job_privacy(ctx)
    caller = OutboundCaller(ctx.settings, ctx.db, privacy, engine, ctx.clock)
    dialler = Dialler(ctx.settings, ctx.db, privacy, ctx.clock, caller.call)
    later = await dialler.run(tenant_id, campaign_id)
    if later is not None:
        await _schedule_wake(ctx, tenant_id, campaign_id, later)


async def _schedule_wake(ctx: JobContext, tenant_id: str, campaign_id: str, seconds: float) -> None:
    now = ctx.clock.now()
    at = now + dt.timedelta(seconds=seconds)
    async with tenant_session(ctx.db, tenant_id) as session:
        taken = await session.execute(
            update(Campaign)
            .where(
                Campaign.id == campaign_id,
                or_(Campaign.wake_at.is_(None), Campaign.wake_at <= now, Campaign.wake_at > at),
            )
            .values(wake_at=at)
        )
    if taken.rowcount and ctx.enqueue is not None:  # type: ignore[attr-defined]
        await ctx.enqueue(WAKE_JOB, tenant_id, campaign_id, delay=max(seconds, 0.05))


@registry.job(name=WAKE_JOB, retries=3, retry_delay=5.0, backoff=2.0)
async def campaign_wake(ctx: JobContext, tenant_id: str, campaign_id: str) -> None:
    async with tenant_session(ctx.db, tenant_id) as session:
        running = await session.execute(  # the slices it starts hold the lease from now
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.state == "running")
            .values(seen_at=ctx.clock.now())
        )
    if not running.rowcount:  # type: ignore[attr-defined]
        return
    if ctx.enqueue is not None:
        for _ in range(ctx.settings.agents.campaign_slices):
            await ctx.enqueue(DIAL_JOB, tenant_id, campaign_id)


@registry.watch(LEASE_WATCH, name="agents.campaign_leases")
async def campaign_leases(ctx: JobContext) -> int:
    """Take over the lapsed dialling leases of running campaigns with calls due or held by a
    dead worker, and start their slices; how many were taken over. A campaign waiting for a
    wake it scheduled is left to it, unless the wake is a lease overdue (it was lost)."""
    now = ctx.clock.now()
    stale = now - dt.timedelta(seconds=ctx.settings.agents.campaign_lease_seconds)
    lapsed = or_(Campaign.seen_at.is_(None), Campaign.seen_at < stale)
    due = (
        select(CampaignCall.id)
        .where(
            CampaignCall.campaign_id == Campaign.id,
            or_(
                CampaignCall.state.in_(OPEN) & (CampaignCall.next_at <= now),
                (CampaignCall.state == "dialling") & (CampaignCall.lease_until < now),
            ),
        )
        .exists()
    )
    async with ctx.db.session() as session:
        found = (
            await session.execute(
                select(Campaign.tenant_id, Campaign.id).where(
                    Campaign.state == "running",
                    lapsed,
                    or_(Campaign.wake_at.is_(None), Campaign.wake_at < stale),
                    due,
                )
            )
        ).all()
    taken = 0
    for tenant_id, campaign_id in found:
        async with tenant_session(ctx.db, tenant_id) as session:
            won = await session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.state == "running", lapsed)
                .values(seen_at=now)
            )
        if not won.rowcount or ctx.enqueue is None:  # type: ignore[attr-defined]
            continue  # another worker took it over first
        taken += 1
        log.warning("campaign_lease_lapsed", campaign=campaign_id)
        for _ in range(ctx.settings.agents.campaign_slices):
            await ctx.enqueue(DIAL_JOB, tenant_id, campaign_id)
    return taken


@registry.watch(CREDIT_WATCH, name="agents.campaign_credit")
async def campaign_credit(ctx: JobContext) -> int:
    """Resume the campaigns that paused themselves for want of credit or of minutes once
    their business has credit (or minutes) again; how many were resumed. A balance that still
    pays for no call pauses it again at its next dial, which costs one look, not a call."""
    async with ctx.db.session() as session:
        found = (
            await session.execute(
                select(Campaign.tenant_id, Campaign.id, Campaign.pause_reason).where(
                    Campaign.state == "paused", Campaign.pause_reason.in_((NO_CREDIT, NO_MINUTES))
                )
            )
        ).all()
    charges = AgentCharges(ctx.settings, ctx.db, ctx.clock)
    resumed = 0
    for tenant_id, campaign_id, reason in found:
        if ctx.enqueue is None or not await _can_go_on(charges, tenant_id, reason):
            continue
        now = ctx.clock.now()
        async with tenant_session(ctx.db, tenant_id) as session:
            won = await session.execute(
                update(Campaign)
                .where(
                    Campaign.id == campaign_id,
                    Campaign.state == "paused",
                    Campaign.pause_reason == reason,
                )
                .values(state="running", pause_reason=None, seen_at=now, updated_at=now)
            )
        if not won.rowcount:  # type: ignore[attr-defined]
            continue  # another worker resumed it first, or a person changed it
        resumed += 1
        log.info("campaign_resumed", campaign=campaign_id)
        for _ in range(ctx.settings.agents.campaign_slices):
            await ctx.enqueue(DIAL_JOB, tenant_id, campaign_id)
    return resumed


async def _can_go_on(charges: AgentCharges, tenant_id: str, reason: str | None) -> bool:
    if reason == NO_CREDIT:
        return await charges.balance(tenant_id) > 0
    try:
        await charges.seconds_left(tenant_id)
    except QuotaReached:
        return False
    return True


@registry.job(name=EVALUATION_JOB, retries=0)
async def evaluation_call(ctx: JobContext, tenant_id: str, evaluation_id: str, payer: str) -> None:
    """Never retried: a business is not called twice for one evaluation (nor charged twice).
    ``payer``: the account that asked, whose credit pays for the call."""
    engine = await ctx.resource("agents.telephony", _engine)

    async def not_here(*_: object, **__: object) -> str:
        raise RuntimeError("an evaluation job enqueues nothing")

    await Evaluations(await job_privacy(ctx), ctx.enqueue or not_here).run(
        engine, tenant_id, evaluation_id, payer
    )


@registry.watch(WEBHOOK_WATCH, name="agents.webhook_deliveries")
async def webhook_deliveries(ctx: JobContext) -> int:
    """Claim the post-call webhooks due and send each on the queue (``webhook_send``; at once
    here without a queue), so a slow receiver never holds this watch. How many were due."""
    deliveries = Deliveries(ctx.settings, ctx.db, await job_privacy(ctx), ctx.clock)
    due = await deliveries.claim_due()
    for tenant_id, delivery_id in due:
        if ctx.enqueue is not None:
            await ctx.enqueue(WEBHOOK_JOB, tenant_id, delivery_id)
        else:
            await deliveries.send(tenant_id, delivery_id)
    return len(due)


@registry.job(name=WEBHOOK_JOB, retries=0)
async def webhook_send(ctx: JobContext, tenant_id: str, delivery_id: str) -> None:
    """One delivery's try; a failure is tried again by the watch, with exponential backoff
    (``hooks.webhooks``), not by the queue."""
    privacy = await job_privacy(ctx)
    await Deliveries(ctx.settings, ctx.db, privacy, ctx.clock).send(tenant_id, delivery_id)
