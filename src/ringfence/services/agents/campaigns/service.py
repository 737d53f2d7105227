"""Outbound campaigns: an agent calling a contact list on a schedule, within caps and rules.

A campaign is created as a draft with one call per contact of its list. It starts only when
its checks pass (``checks``: the agent's disclosure says who calls and that the voice is
automated, the caller id was verified, the list has someone the rules let it call), and then
runs as dialling jobs on the queue (``dialler``); it can be paused, resumed and cancelled, and
its progress read at any time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import Conflict, Forbidden, InvalidInput, NotFound
from ringfence.privacy.core import Privacy
from ringfence.services.agents.calls.records import CallRecords
from ringfence.services.agents.campaigns.contacts import ContactLists
from ringfence.services.agents.campaigns.decisions import ANSWERED
from ringfence.services.agents.campaigns.rules import CallingRules, refusals
from ringfence.services.agents.models import (
    Agent,
    Campaign,
    CampaignAttempt,
    CampaignCall,
    Contact,
    ContactList,
)
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.tenants.models import Tenant
from ringfence.tenants.numbers import controls
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

DIAL_JOB = "agents.campaign_dial"
Enqueue = Callable[..., Awaitable[str]]
AUTOMATED = re.compile(r"\b(automated|artificial|virtual|ai|recorded|robot|bot)\b", re.I)
BATCH = 1000
REASONS_SAMPLE = 1000  # contacts whose refusals a failing check counts


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    agent_id: str
    list_id: str
    opening: str
    caller_number: str | None = None  # one of the business's verified numbers, in E.164
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    max_concurrent: int = 2
    calls_per_second: float = 1.0
    max_attempts: int = 3
    retry_seconds: float = 1800.0
    retry_backoff: float = 2.0
    ring_seconds: float = 30.0
    on_machine: str = "hangup"  # hangup | message
    voicemail: str = ""

    def validate(self) -> None:
        if self.on_machine not in ("hangup", "message"):
            raise InvalidInput("on_machine is hangup or message")
        if self.on_machine == "message" and not self.voicemail.strip():
            raise InvalidInput("a campaign that leaves messages needs the message (voicemail)")
        for when in (self.starts_at, self.ends_at):
            if when is not None and when.tzinfo is None:
                raise InvalidInput("give times with their offset: 2026-11-23T10:00:00+00:00")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise InvalidInput("the campaign must end after it starts")


def campaign_dict(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id, "name": c.name, "agent_id": c.agent_id, "list_id": c.list_id,
        "opening": c.opening, "state": c.state, "caller_number": c.caller_number,
        "caller_verified": c.caller_verified_at is not None,
        "starts_at": c.starts_at.isoformat() if c.starts_at else None,
        "ends_at": c.ends_at.isoformat() if c.ends_at else None,
        "max_concurrent": c.max_concurrent, "calls_per_second": c.calls_per_second,
        "max_attempts": c.max_attempts, "retry_seconds": c.retry_seconds,
        "retry_backoff": c.retry_backoff, "ring_seconds": c.ring_seconds,
        "on_machine": c.on_machine, "voicemail": c.voicemail, "pause_reason": c.pause_reason,
        "created_at": c.created_at.isoformat(),
    }  # fmt: skip


class Campaigns:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        privacy: Privacy,
        clock: Clock,
        enqueue: Enqueue,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.enqueue = enqueue
        self.key = settings.signing_key()
        self.tenants = Tenants(db, clock)
        self.contacts = ContactLists(db, privacy, clock, settings.signing_key())
        self.records = CallRecords(settings, db, privacy, clock)  # its retention is theirs too
        agents = settings.agents
        self.rules = CallingRules(agents.calling_hours, agents.stricter_hours)

    async def create(self, who: Account, tenant_id: str, spec: CampaignSpec) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        spec.validate()
        if spec.caller_number is not None and not await self._verified(
            tenant_id, spec.caller_number
        ):
            raise Forbidden(
                "a campaign shows only a number the business verified (a call to it asked for "
                "a code): verify it on the business's page first"
            )
        now = self.clock.now()
        keep_until = now + dt.timedelta(days=await self.records.keep_days(tenant_id))
        async with tenant_session(self.db, tenant_id) as session:
            if await session.get(Agent, spec.agent_id[:32]) is None:
                raise NotFound("no agent of this business has this id")
            if await session.get(ContactList, spec.list_id[:32]) is None:
                raise NotFound("no contact list of this business has this id")
            campaign = Campaign(
                name=spec.name.strip()[:120] or "campaign",
                agent_id=spec.agent_id,
                list_id=spec.list_id,
                opening=spec.opening.strip()[:500],
                caller_number=spec.caller_number,
                caller_verified_at=now if spec.caller_number is not None else None,
                state="draft",
                starts_at=spec.starts_at,
                ends_at=spec.ends_at,
                max_concurrent=spec.max_concurrent,
                calls_per_second=spec.calls_per_second,
                max_attempts=spec.max_attempts,
                retry_seconds=spec.retry_seconds,
                retry_backoff=spec.retry_backoff,
                ring_seconds=spec.ring_seconds,
                on_machine=spec.on_machine,
                voicemail=spec.voicemail.strip()[:500],
                created_at=now,
                updated_at=now,
            )
            session.add(campaign)
        first = spec.starts_at or now
        after = ""
        while True:  # one call per contact, in batches: a 100,000-row list is never all loaded
            async with tenant_session(self.db, tenant_id) as session:
                rows = (
                    await session.execute(
                        select(Contact.id, Contact.subject_ref, Contact.number_tail)
                        .where(Contact.list_id == spec.list_id, Contact.id > after)
                        .order_by(Contact.id)
                        .limit(BATCH)
                    )
                ).all()
                for contact_id, ref, tail in rows:
                    session.add(
                        CampaignCall(campaign_id=campaign.id, contact_id=contact_id,
                                     subject_ref=ref, number_tail=tail, state="pending",
                                     next_at=first, updated_at=now, keep_until=keep_until)
                    )  # fmt: skip
            if len(rows) < BATCH:
                break
            after = rows[-1][0]
        return campaign_dict(campaign)

    async def _verified(self, tenant_id: str, e164: str | None) -> bool:
        """Whether ``e164`` is one of the business's verified numbers now (read from the store:
        a number removed since the campaign was made no longer counts)."""
        return e164 is not None and await controls(self.db, self.key, tenant_id, e164)

    async def _campaign(self, tenant_id: str, campaign_id: str) -> Campaign:
        async with tenant_session(self.db, tenant_id) as session:
            campaign = await session.get(Campaign, campaign_id[:32])
        if campaign is None:
            raise NotFound("no campaign of this business has this id")
        return campaign

    async def all(self, who: Account, tenant_id: str) -> list[dict[str, Any]]:
        await self.tenants.role(who, tenant_id, "agents.read")
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.scalars(select(Campaign).order_by(Campaign.created_at))
            return [campaign_dict(c) for c in found.all()]

    async def checks(self, who: Account, tenant_id: str, campaign_id: str) -> list[dict[str, Any]]:
        """What must hold before the campaign may start, each with whether it does and why."""
        await self.tenants.role(who, tenant_id, "agents.read")
        campaign = await self._campaign(tenant_id, campaign_id)
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        async with tenant_session(self.db, tenant_id) as session:
            agent = await session.get(Agent, campaign.agent_id)
        disclosure = agent.disclosure if agent else ""
        business = tenant.name if tenant else ""
        someone, refused = await self._callable(tenant_id, campaign)
        verified = await self._verified(tenant_id, campaign.caller_number)
        out = [
            _check("agent", agent is not None, "the campaign's agent exists",
                   "the campaign's agent was deleted"),
            _check("disclosure_names_business",
                   bool(business) and business.lower() in disclosure.lower(),
                   "the disclosure said first on every call names the business",
                   f"the agent's disclosure must name the business ({business!r})"),
            _check("disclosure_automated", bool(AUTOMATED.search(disclosure)),
                   "the disclosure says the voice is automated (FCC, Feb. 2024: AI voices are "
                   "artificial under the TCPA)",
                   "the agent's disclosure must say the voice is automated or artificial"),
            _check("opt_out_offered", True,
                   "every call offers the opt-out right after the disclosure (say stop, or "
                   "press 9)", ""),
            _check("caller_id_verified", verified,
                   f"caller id {campaign.caller_number} is verified",
                   "the campaign needs a caller id the business verified"),
            _check("someone_callable", someone,
                   "someone on the list may be called (each within their calling hours)",
                   "no contact of the list may be called now: " + _refusal_text(refused)),
        ]  # fmt: skip
        return out

    async def _callable(self, tenant_id: str, campaign: Campaign) -> tuple[bool, dict[str, int]]:
        """Whether the rules let the campaign call someone on its list (caller id and calling
        hours aside: calls wait for those), stopping at the first such contact; when nobody,
        the refusals counted over the first ``REASONS_SAMPLE`` contacts."""
        async with tenant_session(self.db, tenant_id) as session:
            candidates = await session.stream_scalars(
                select(Contact).where(Contact.list_id == campaign.list_id,
                                      Contact.consent_at.is_not(None),
                                      Contact.opted_out_at.is_(None))
            )  # fmt: skip
            async for contact in candidates:
                if not await self._refusals(session, tenant_id, contact):
                    return True, {}
            refused: dict[str, int] = {}
            rows = await session.stream_scalars(
                select(Contact).where(Contact.list_id == campaign.list_id).limit(REASONS_SAMPLE)
            )
            async for contact in rows:
                for reason in await self._refusals(session, tenant_id, contact):
                    key = reason.split(" (")[0]
                    refused[key] = refused.get(key, 0) + 1
        return False, refused

    async def _refusals(self, session: AsyncSession, tenant_id: str, contact: Contact) -> list[str]:
        who = await self.contacts.contactee(session, tenant_id, contact)
        return [r for r in refusals(who, self.clock.now(), self.rules, True)
                if not r.startswith("outside the calling window")]  # fmt: skip

    async def start(self, who: Account, tenant_id: str, campaign_id: str) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        campaign = await self._campaign(tenant_id, campaign_id)
        if campaign.state not in ("draft", "paused"):
            raise Conflict(f"a {campaign.state} campaign cannot be started")
        failing = [c for c in await self.checks(who, tenant_id, campaign_id) if not c["ok"]]
        if failing:
            raise Conflict("the campaign cannot start: " + "; ".join(c["detail"] for c in failing))
        return await self._set_running(tenant_id, campaign_id, ("draft", "paused"))

    async def resume(self, who: Account, tenant_id: str, campaign_id: str) -> dict[str, Any]:
        return await self.start(who, tenant_id, campaign_id)

    async def _set_running(
        self, tenant_id: str, campaign_id: str, states: tuple[str, ...]
    ) -> dict[str, Any]:
        async with tenant_session(self.db, tenant_id) as session:
            # The slices enqueued next hold the campaign's dialling lease from now: if none of
            # them renews it (lost with a worker), a live worker takes it over when it lapses.
            now = self.clock.now()
            changed = await session.execute(
                update(Campaign)
                .where(Campaign.id == campaign_id, Campaign.state.in_(states))
                .values(state="running", updated_at=now, seen_at=now, pause_reason=None)
            )
        if not changed.rowcount:  # type: ignore[attr-defined]
            raise Conflict("the campaign changed meanwhile; reload it")
        for _ in range(self.settings.agents.campaign_slices):
            await self.enqueue(DIAL_JOB, tenant_id, campaign_id)
        return await self.progress_of(tenant_id, campaign_id)

    async def pause(self, who: Account, tenant_id: str, campaign_id: str) -> dict[str, Any]:
        """No new dials; calls in progress end as they would."""
        return await self._stop(who, tenant_id, campaign_id, "paused")

    async def cancel(self, who: Account, tenant_id: str, campaign_id: str) -> dict[str, Any]:
        """No new dials, ever; calls not dialled yet are cancelled."""
        return await self._stop(who, tenant_id, campaign_id, "cancelled")

    async def _stop(
        self, who: Account, tenant_id: str, campaign_id: str, state: str
    ) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        campaign = await self._campaign(tenant_id, campaign_id)
        allowed = ("running",) if state == "paused" else ("draft", "running", "paused")
        if campaign.state not in allowed:
            raise Conflict(f"a {campaign.state} campaign cannot be {state}")
        now = self.clock.now()
        async with tenant_session(self.db, tenant_id) as session:
            await session.execute(
                update(Campaign).where(Campaign.id == campaign_id, Campaign.state.in_(allowed))
                .values(state=state, updated_at=now)
            )  # fmt: skip
            if state == "cancelled":
                await session.execute(
                    update(CampaignCall)
                    .where(CampaignCall.campaign_id == campaign_id,
                           CampaignCall.state.in_(("pending", "retry")))
                    .values(state="cancelled", reason="the campaign was cancelled", updated_at=now)
                )  # fmt: skip
        return await self.progress_of(tenant_id, campaign_id)

    async def act(
        self, who: Account, tenant_id: str, campaign_id: str, action: str
    ) -> dict[str, Any]:
        """``start``, ``pause``, ``resume`` or ``cancel`` (the API's and the page's buttons)."""
        actions = {"start": self.start, "pause": self.pause, "resume": self.resume,
                   "cancel": self.cancel}  # fmt: skip
        do = actions.get(action)
        if do is None:
            raise InvalidInput(f"unknown action {action[:20]!r}; one of: {', '.join(actions)}")
        return await do(who, tenant_id, campaign_id)

    async def progress(self, who: Account, tenant_id: str, campaign_id: str) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.read")
        return await self.progress_of(tenant_id, campaign_id)

    async def progress_of(self, tenant_id: str, campaign_id: str) -> dict[str, Any]:
        campaign = await self._campaign(tenant_id, campaign_id)
        async with tenant_session(self.db, tenant_id) as session:
            states = dict(
                (
                    await session.execute(
                        select(CampaignCall.state, func.count())
                        .where(CampaignCall.campaign_id == campaign_id)
                        .group_by(CampaignCall.state)
                    )
                ).all()
            )
            outcomes = dict(
                (
                    await session.execute(
                        select(CampaignAttempt.outcome, func.count())
                        .where(CampaignAttempt.campaign_id == campaign_id)
                        .group_by(CampaignAttempt.outcome)
                    )
                ).all()
            )
        dialled = sum(outcomes.values())
        answered = sum(outcomes.get(k, 0) for k in ANSWERED)
        return {
            "campaign": campaign_dict(campaign),
            "contacts": sum(states.values()),
            "states": states,
            "dialled": dialled,
            "answered": answered,
            "outcomes": {k or "in_progress": v for k, v in outcomes.items()},
        }

    async def calls(
        self, who: Account, tenant_id: str, campaign_id: str, limit: int = 500
    ) -> list[dict[str, Any]]:
        """Each contact's standing: state, dials, last outcome, the reason it was not called
        (or why it waits), and the call-back promised to it (UTC)."""
        await self.tenants.role(who, tenant_id, "calls.read")
        await self._campaign(tenant_id, campaign_id)
        async with tenant_session(self.db, tenant_id) as session:
            rows = (
                await session.scalars(
                    select(CampaignCall)
                    .where(CampaignCall.campaign_id == campaign_id)
                    .order_by(CampaignCall.updated_at.desc())
                    .limit(limit)
                )
            ).all()
            return [
                {"id": r.id, "contact_id": r.contact_id, "number": f"…{r.number_tail}",
                 "state": r.state, "attempts": r.attempts, "outcome": r.outcome,
                 "reason": r.reason, "next_at": r.next_at.isoformat(),
                 "call_back_at": r.call_back_at.isoformat() if r.call_back_at else None}
                for r in rows
            ]  # fmt: skip


def _check(name: str, ok: bool, passed: str, failed: str) -> dict[str, Any]:
    return {"name": name, "ok": ok, "detail": passed if ok else failed}


def _refusal_text(refused: dict[str, int]) -> str:
    return (
        ", ".join(f"{n} {reason}" for reason, n in sorted(refused.items())) or "the list is empty"
    )
