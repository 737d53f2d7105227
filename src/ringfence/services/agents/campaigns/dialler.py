"""The campaign dialler: several workers share a campaign without calling anyone twice.

Every dialling job ("slice") claims calls in one transaction that first updates the campaign's
row, so claims of all workers are serialised on it (a row lock on PostgreSQL, the write lock on
SQLite). Under it the slice: reaps holds that dead workers stopped renewing; applies the
calling rules to the next due contacts (a refusal is recorded with its reason; a contact outside
its calling window waits for the window to open, or is refused when the campaign ends first);
and claims at most its share of what the concurrency cap leaves. When the agent for a claimed
call is ready, its dial time is reserved the same way, ``1 / calls_per_second`` after the last
one reserved by any worker, so the rate holds for the INVITEs themselves, across workers.

A claimed call is held with a lease the slice renews while it runs. Just before the INVITE an
attempt row is committed: a worker killed mid-call leaves that record, and when its lease
lapses the call is marked ``interrupted``, never dialled again; a call claimed but not yet
dialled simply goes back to the queue. Busy, no answer and (when no message is left) an
answering machine are retried ``max_attempts`` times in all, ``retry_seconds`` apart, the delay
multiplied by ``retry_backoff`` each time. A contact who asked to be called back is dialled
again at the time the agent promised (``CampaignCall.call_back_at``), and only then: a call
that failed after it was answered is otherwise not dialled again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.logging import get_logger
from ringfence.privacy.core import Privacy
from ringfence.privacy.processing import why_not
from ringfence.services.agents.calls.outbound import Dial, DialResult
from ringfence.services.agents.campaigns.contacts import ContactLists
from ringfence.services.agents.campaigns.decisions import (
    LOOKAHEAD,
    CampaignState,
    RetryPolicy,
    after_attempt,
    capacity,
    dial_gap,
    lapsed,
    lease_end,
    look_again,
    next_slot,
    reaped,
    released,
    turn_passed,
    wait_for_calls,
    waiting,
)
from ringfence.services.agents.campaigns.rules import CallingRules, next_window, refusals
from ringfence.services.agents.models import Campaign, CampaignAttempt, CampaignCall, Contact
from ringfence.services.agents.purposes import CAMPAIGN_CALL
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import suspended

log = get_logger(__name__)

# Places one call: prepares, awaits its turn (``Turn``; False: do not dial), then dials. None
# when nothing was dialled.
Placer = Callable[[Dial, Callable[[], Awaitable[bool]]], Awaitable[DialResult | None]]
OPEN = ("pending", "retry")  # waiting to be dialled
FINAL = ("done", "refused", "interrupted", "cancelled")
CLAIM_BATCH = 50
ENDED = "the campaign's schedule ended"  # contacts looked at per claim at most


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Claimed:
    row_id: str
    dial: Dial
    dial_at: dt.datetime  # reserved at claim; a dial whose agent was ready late takes a new one
    attempt: int  # the number this dial will have
    rate: float  # the campaign's calls per second

    @property
    def e164(self) -> str:
        return self.dial.e164


@dataclass
class Claim:
    running: bool
    calls: list[Claimed] = field(default_factory=list)
    next_due: dt.datetime | None = None  # the earliest open call not due yet
    next_lapse: dt.datetime | None = None  # the earliest hold of a call being dialled
    limited: bool = False  # more were due than the rate lets a slice claim at once
    open_calls: int = 0  # not final yet, the claimed ones included


def retry_policy(campaign: Campaign) -> RetryPolicy:
    return RetryPolicy(campaign.max_attempts, campaign.retry_seconds, campaign.retry_backoff)


class Turn:
    """A claimed call's turn, handed to the placer: awaited once the agent is ready, it waits
    for the call's dial time (the rate), commits the attempt's record and says whether the
    INVITE may go. ``attempt_id`` is the record's id once committed."""

    def __init__(self, dialler: Dialler, tenant_id: str, campaign_id: str, claimed: Claimed):
        self.dialler = dialler
        self.tenant_id = tenant_id
        self.campaign_id = campaign_id
        self.claimed = claimed
        self.attempt_id: str | None = None

    async def __call__(self) -> bool:
        dialler, claimed = self.dialler, self.claimed
        slot: dt.datetime | None = claimed.dial_at
        if turn_passed(claimed.dial_at, dialler.clock.now(), claimed.rate):
            slot = await dialler._reserve(self.tenant_id, self.campaign_id, claimed)
        if slot is None:
            return False
        delay = (slot - dialler.clock.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        self.attempt_id = await dialler._begin(self.tenant_id, self.campaign_id, claimed)
        return self.attempt_id is not None


class Dialler:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        privacy: Privacy,
        clock: Clock,
        place: Placer,
        *,
        worker: str | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.place = place
        self.worker = worker or worker_name()
        self.lease = settings.agents.campaign_lease_seconds
        self.contacts = ContactLists(db, privacy, clock, settings.signing_key())
        agents = settings.agents
        self.rules = CallingRules(agents.calling_hours, agents.stricter_hours)

    # -- the slice ------------------------------------------------------------------------------

    async def run(self, tenant_id: str, campaign_id: str) -> float | None:
        """Dial the campaign until nothing is due; the seconds until something will be (the
        job comes back then), or None when the campaign is over, paused or cancelled."""
        dials: set[asyncio.Task[None]] = set()
        beat = asyncio.ensure_future(self._heartbeat(tenant_id, campaign_id))
        try:
            while True:
                # Times are judged from before the claim: a call that was not yet due when the
                # claim looked, but is by the time it answers (a slow machine), means "look
                # again now", not "nothing will ever be due".
                claimed_at = self.clock.now()
                claim = await self.claim(tenant_id, campaign_id)
                for claimed in claim.calls:
                    dials.add(asyncio.ensure_future(self._dial(tenant_id, campaign_id, claimed)))
                if not dials:
                    if not claim.running or claim.open_calls == 0:
                        return None
                    return look_again(claimed_at, claim.next_due, claim.next_lapse)
                wait = (
                    LOOKAHEAD / 2
                    if claim.limited
                    else wait_for_calls(self.clock.now(), claim.next_due, self.lease)
                )
                done, dials = await asyncio.wait(
                    dials, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    if task.exception() is not None:
                        log.error("campaign_dial_crashed", error=type(task.exception()).__name__)
        finally:
            beat.cancel()
            for task in dials:
                task.cancel()
            await asyncio.gather(beat, *dials, return_exceptions=True)

    async def _heartbeat(self, tenant_id: str, campaign_id: str) -> None:
        """Renew, every third of a lease, the holds of this slice's calls and the campaign's
        dialling lease (``seen_at``: while one slice renews it, no worker starts others). A
        beat that fails (the database busy a moment) is logged; the next one tries again."""
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await self._renew(tenant_id, campaign_id)
            except Exception as exc:
                log.warning("campaign_heartbeat_failed", error=type(exc).__name__)

    async def _renew(self, tenant_id: str, campaign_id: str) -> None:
        now = self.clock.now()
        async with tenant_session(self.db, tenant_id) as session:
            await session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.state == "running")
                .values(seen_at=now)
            )
            await session.execute(
                update(CampaignCall)
                .where(
                    CampaignCall.campaign_id == campaign_id,
                    CampaignCall.worker == self.worker,
                    CampaignCall.state == "dialling",
                )
                .values(lease_until=lease_end(now, self.lease))
            )

    # -- claiming -------------------------------------------------------------------------------

    async def claim(self, tenant_id: str, campaign_id: str) -> Claim:
        now = self.clock.now()
        async with self.db.session() as session:  # the tenants table is outside its scope
            if await suspended(session, tenant_id):  # by the operator: nothing more is dialled
                return Claim(running=False)
        async with tenant_session(self.db, tenant_id) as session:
            campaign = await _lock_running(session, campaign_id, now)
            if campaign is None:
                return Claim(running=False)
            await self._reap(session, campaign_id, now)
            claim = Claim(running=True)
            if campaign.ends_at is not None and now >= campaign.ends_at:
                await self._close_schedule(session, campaign_id, now)
            elif campaign.starts_at is None or now >= campaign.starts_at:
                await self._claim_due(session, tenant_id, campaign, now, claim)
            return await self._finish_claim(session, campaign, claim)

    async def _finish_claim(self, session: AsyncSession, campaign: Campaign, claim: Claim) -> Claim:
        open_calls = await session.scalar(
            select(func.count())
            .select_from(CampaignCall)
            .where(CampaignCall.campaign_id == campaign.id, CampaignCall.state.not_in(FINAL))
        )
        claim.open_calls = int(open_calls or 0)
        claim.next_due = await session.scalar(
            select(func.min(CampaignCall.next_at)).where(
                CampaignCall.campaign_id == campaign.id, CampaignCall.state.in_(OPEN)
            )
        )
        claim.next_lapse = await session.scalar(
            select(func.min(CampaignCall.lease_until)).where(
                CampaignCall.campaign_id == campaign.id, CampaignCall.state == "dialling"
            )
        )
        if campaign.starts_at is not None and campaign.starts_at > self.clock.now():
            claim.next_due = campaign.starts_at
        if claim.open_calls == 0:
            campaign.state = "done"
            campaign.updated_at = self.clock.now()
            claim.running = False
        return claim

    async def _reap(self, session: AsyncSession, campaign_id: str, now: dt.datetime) -> None:
        """Calls whose worker stopped renewing its hold: dialled ones are interrupted (their
        attempt record says so, and they are not dialled again), undialled ones go back."""
        dialling = (
            await session.scalars(
                select(CampaignCall).where(
                    CampaignCall.campaign_id == campaign_id, CampaignCall.state == "dialling"
                )
            )
        ).all()  # at most the campaign's concurrency cap
        for row in dialling:
            if not lapsed(row.lease_until, now):
                continue
            attempt = await session.scalar(
                select(CampaignAttempt).where(
                    CampaignAttempt.campaign_call_id == row.id,
                    CampaignAttempt.number == row.attempts,
                    CampaignAttempt.ended_at.is_(None),
                )
            )
            then = reaped(row.attempts, dialled=attempt is not None)
            row.state = then.state
            if attempt is not None:
                attempt.outcome = row.outcome = then.state
                row.reason = then.reason
                log.warning("campaign_call_interrupted", call=row.id, worker=row.worker)
            row.worker, row.lease_until, row.updated_at = None, None, now

    async def _close_schedule(
        self, session: AsyncSession, campaign_id: str, now: dt.datetime
    ) -> None:
        await session.execute(
            update(CampaignCall)
            .where(CampaignCall.campaign_id == campaign_id, CampaignCall.state.in_(OPEN))
            .values(state="refused", outcome="refused", updated_at=now,
                    reason=func.coalesce(CampaignCall.reason + "; ", "") + ENDED)
        )  # fmt: skip

    async def _claim_due(
        self,
        session: AsyncSession,
        tenant_id: str,
        campaign: Campaign,
        now: dt.datetime,
        claim: Claim,
    ) -> None:
        inflight = await session.scalar(
            select(func.count())
            .select_from(CampaignCall)
            .where(CampaignCall.campaign_id == campaign.id, CampaignCall.state == "dialling")
        )
        mine = await session.scalar(
            select(func.count())
            .select_from(CampaignCall)
            .where(CampaignCall.campaign_id == campaign.id, CampaignCall.worker == self.worker)
        )
        state = CampaignState(
            now=self.clock.now(),  # the lock is held from here
            max_concurrent=campaign.max_concurrent,
            calls_per_second=campaign.calls_per_second,
            slices=self.settings.agents.campaign_slices,
            inflight=int(inflight or 0),
            mine=int(mine or 0),
            next_dial_at=campaign.next_dial_at,
        )
        room = capacity(state)
        free, claim.limited = room.free, room.limited
        slot = next_slot(state.now, state.next_dial_at)
        while free > 0:
            due = (
                await session.scalars(
                    select(CampaignCall)
                    .where(
                        CampaignCall.campaign_id == campaign.id,
                        CampaignCall.state.in_(OPEN),
                        CampaignCall.next_at <= now,
                    )
                    .order_by(CampaignCall.next_at, CampaignCall.id)
                    .limit(min(free, CLAIM_BATCH) * 2)
                )
            ).all()
            if not due:
                break
            for row in due:
                if free <= 0:
                    break
                e164 = await self.check(session, tenant_id, campaign, row, now)
                if e164 is None:
                    continue
                row.state, row.worker, row.dial_at = "dialling", self.worker, slot
                row.lease_until = lease_end(slot, self.lease)
                row.updated_at = now
                dial = Dial(
                    tenant_id=tenant_id,
                    agent_id=campaign.agent_id,
                    e164=e164,
                    caller=campaign.caller_number,
                    opening=campaign.opening,
                    on_machine=campaign.on_machine,
                    voicemail=campaign.voicemail,
                    ring_seconds=campaign.ring_seconds,
                    campaign_id=campaign.id,
                    ends_at=campaign.ends_at,
                )
                claim.calls.append(
                    Claimed(row.id, dial, slot, row.attempts + 1, campaign.calls_per_second)
                )
                slot += state.gap
                free -= 1
        campaign.next_dial_at = slot

    async def check(
        self,
        session: AsyncSession,
        tenant_id: str,
        campaign: Campaign,
        row: CampaignCall,
        now: dt.datetime,
        e164: str | None = None,
    ) -> str | None:
        """The calling rules for one call: its number when it may be dialled now; otherwise
        the row is refused, or put off until the callee's window opens, with the reason.
        ``e164``: the number already decrypted for this dial (it is decrypted once a dial)."""
        contact = await session.get(Contact, row.contact_id)
        if contact is None:
            row.state, row.reason, row.updated_at = "refused", "removed from the list", now
            return None
        who = await self.contacts.contactee(session, tenant_id, contact, e164)
        e164 = who.e164
        reasons = refusals(who, now, self.rules, campaign.caller_verified_at is not None)
        stopped = await why_not(session, [contact.subject_ref], CAMPAIGN_CALL)
        if stopped is not None:
            reasons.insert(0, stopped)
        if not reasons:
            return e164
        window_only = all(r.startswith("outside the calling window") for r in reasons)
        opens = next_window(e164, now, self.rules) if window_only else None
        if opens is not None and (campaign.ends_at is None or opens < campaign.ends_at):
            row.next_at, row.reason, row.updated_at = opens, f"waiting: {reasons[0]}", now
            return None
        row.state, row.outcome, row.updated_at = "refused", "refused", now
        row.reason = "; ".join(reasons)[:300]
        return None

    # -- dialling -------------------------------------------------------------------------------

    async def _dial(self, tenant_id: str, campaign_id: str, claimed: Claimed) -> None:
        turn = Turn(self, tenant_id, campaign_id, claimed)
        error = ""
        try:
            result = await self.place(claimed.dial, turn)
        except Exception as exc:
            log.exception("campaign_dial_error", call=claimed.row_id)
            # Dialled: the attempt failed. Not dialled (the database was busy, say): the call
            # goes back to the queue after the retry delay, it is not refused.
            failed = DialResult("failed") if turn.attempt_id else None
            result, error = failed, type(exc).__name__
        if turn.attempt_id:
            ending = self._end(tenant_id, campaign_id, claimed, turn.attempt_id, result)
            await asyncio.shield(ending)
        else:
            await asyncio.shield(self._release(tenant_id, campaign_id, claimed, result, error))

    async def _reserve(
        self, tenant_id: str, campaign_id: str, claimed: Claimed
    ) -> dt.datetime | None:
        """The call's dial time: ``1 / calls_per_second`` after the last one any worker
        reserved (the campaign row is written first, so reservations are serialised)."""
        now = self.clock.now()
        async with tenant_session(self.db, tenant_id) as session:
            campaign = await _lock_running(session, campaign_id, now)
            row = await session.get(CampaignCall, claimed.row_id)
            if campaign is None or row is None:
                return None
            slot = next_slot(self.clock.now(), campaign.next_dial_at)
            campaign.next_dial_at = slot + dial_gap(campaign.calls_per_second)
            row.dial_at = slot
            row.lease_until = lease_end(slot, self.lease)
            return slot

    async def _release(
        self,
        tenant_id: str,
        campaign_id: str,
        claimed: Claimed,
        result: DialResult | None,
        error: str = "",
    ) -> None:
        """A claimed call that was not dialled: back to the queue (after the retry delay when
        preparing it failed), or refused when the placer could not prepare it because its
        agent was deleted."""
        now = self.clock.now()
        async with tenant_session(self.db, tenant_id) as session:
            row = await session.get(CampaignCall, claimed.row_id)
            campaign = await session.get(Campaign, campaign_id)
            if row is None or row.state != "dialling" or row.worker != self.worker:
                return
            row.worker = row.lease_until = None
            row.updated_at = now
            if result is None and campaign is not None:
                then = released(row.attempts, error, retry_policy(campaign), now)
                row.state = then.state
                if then.next_at is not None:
                    row.next_at, row.reason = then.next_at, then.reason
            elif result is None:
                row.state = waiting(row.attempts)
            else:
                row.state, row.outcome = "refused", result.outcome
                row.reason = "not placed: the campaign's agent is gone"

    async def _begin(self, tenant_id: str, campaign_id: str, claimed: Claimed) -> str | None:
        """Check the rules once more and commit the attempt's record before the INVITE; its
        id, or None when the call must not be placed now."""
        now = self.clock.now()
        async with tenant_session(self.db, tenant_id) as session:
            campaign = await session.get(Campaign, campaign_id)
            row = await session.get(CampaignCall, claimed.row_id)
            if campaign is None or row is None or row.worker != self.worker:
                return None
            if row.state != "dialling":  # reaped meanwhile: this worker's hold had lapsed
                return None
            if campaign.state != "running":
                return None  # released by the caller
            if await self.check(session, tenant_id, campaign, row, now, claimed.e164) is None:
                return None  # refused (with its reason) or put off: released by the caller
            row.attempts += 1
            row.lease_until = lease_end(now, self.lease)
            attempt = CampaignAttempt(
                campaign_id=campaign_id,
                campaign_call_id=row.id,
                subject_ref=row.subject_ref,
                number=row.attempts,
                worker=self.worker,
                started_at=now,
                keep_until=row.keep_until,
            )
            session.add(attempt)
            await session.flush()
            return attempt.id

    async def _end(
        self,
        tenant_id: str,
        campaign_id: str,
        claimed: Claimed,
        attempt_id: str,
        result: DialResult | None,
    ) -> None:
        now = self.clock.now()
        result = result or DialResult("failed")
        async with tenant_session(self.db, tenant_id) as session:
            attempt = await session.get(CampaignAttempt, attempt_id)
            row = await session.get(CampaignCall, claimed.row_id)
            campaign = await session.get(Campaign, campaign_id)
            if attempt is not None:
                attempt.ended_at, attempt.outcome = now, result.outcome
                attempt.sip_status, attempt.agent_call_id = result.sip_status, result.agent_call_id
            if row is None or campaign is None or row.state != "dialling":
                return
            row.outcome, row.updated_at = result.outcome, now
            row.worker = row.lease_until = None
            then = after_attempt(result.outcome, result.sip_status, row.attempts,
                                 retry_policy(campaign), now, result.call_back_at)  # fmt: skip
            row.state, row.reason = then.state, then.reason
            row.call_back_at = result.call_back_at  # kept by this attempt, or a new promise
            if then.next_at is not None:
                row.next_at = then.next_at
        log.info("campaign_call_ended", call=claimed.row_id, outcome=result.outcome,
                 attempt=claimed.attempt)  # fmt: skip


async def _lock_running(
    session: AsyncSession, campaign_id: str, now: dt.datetime
) -> Campaign | None:
    """The campaign, written first so that its row is this transaction's until it commits (a
    row lock on PostgreSQL, SQLite's write lock): None when it is not running."""
    locked = await session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.state == "running")
        .values(seen_at=now)
    )
    if not locked.rowcount:  # type: ignore[attr-defined]
        return None
    return await session.get(Campaign, campaign_id, populate_existing=True)
