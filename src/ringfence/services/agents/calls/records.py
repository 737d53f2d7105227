"""What an agent call leaves: the call (outcome, summary, transcript) and its recording, both
encrypted with the caller's own data key, tied to the business, kept until ``keep_until``.

Members read them by role (``calls.read``, ``recordings.read``). A business keeps them
``agents.retention_days`` (90) by default; its owner may record a longer period the business
asked for in writing: the change is audited and moves the end of the records already kept.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import InvalidInput, NotFound
from ringfence.privacy.core import Privacy
from ringfence.services.agents.hooks.webhooks import queue_for as queue_webhooks
from ringfence.services.agents.models import CALLS, AgentCall, AgentRecording
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.tenants.keys import Principal
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

OUTCOMES = ("answered", "message_taken", "booked", "transferred", "opted_out", "unresolved",
            "message_left", "failed_after_answer", "call_back")  # fmt: skip
MAX_RETENTION_DAYS = 3650


@dataclass(frozen=True)
class FinishedCall:
    id: str
    tenant_id: str
    agent_id: str
    direction: str
    subject_ref: str
    caller_masked: str
    started_at: dt.datetime
    ended_at: dt.datetime
    outcome: str
    booked: str  # the slot booked, if one was
    summary: str
    transcript: list[dict[str, Any]]
    recording: bytes  # WAV; empty when nothing was recorded
    recording_seconds: float


class CallRecords:
    def __init__(self, settings: Settings, db: Database, privacy: Privacy, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.privacy = privacy
        self.clock = clock
        self.tenants = Tenants(db, clock)

    async def keep_days(self, tenant_id: str) -> int:
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        extended = tenant.record_retention_days if tenant else None
        return extended or self.settings.agents.retention_days

    async def save(self, call: FinishedCall) -> None:
        keep_until = call.started_at + dt.timedelta(days=await self.keep_days(call.tenant_id))
        vault = self.privacy.vault
        async with tenant_session(self.db, call.tenant_id) as session:

            async def seal(data: bytes) -> bytes:
                return await vault.encrypt(session, call.subject_ref, data)

            session.add(
                AgentCall(
                    id=call.id,
                    agent_id=call.agent_id,
                    direction=call.direction,
                    subject_ref=call.subject_ref,
                    caller_masked=call.caller_masked,
                    started_at=call.started_at,
                    ended_at=call.ended_at,
                    duration=(call.ended_at - call.started_at).total_seconds(),
                    outcome=call.outcome,
                    booked_slot=call.booked or None,
                    summary=await seal(call.summary.encode()),
                    transcript=await seal(json.dumps(call.transcript).encode()),
                    keep_until=keep_until,
                )
            )
            await queue_webhooks(
                session, call.id, call.agent_id, call.subject_ref, self.clock.now()
            )
            if call.recording:
                session.add(
                    AgentRecording(
                        call_id=call.id,
                        subject_ref=call.subject_ref,
                        audio=await seal(call.recording),
                        seconds=call.recording_seconds,
                        keep_until=keep_until,
                    )
                )

    async def list(
        self,
        who: Principal,
        tenant_id: str,
        *,
        agent_id: str | None = None,
        outcome: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        await self.tenants.role(who, tenant_id, "calls.read")
        if outcome is not None and outcome not in OUTCOMES:
            raise InvalidInput(f"unknown outcome {outcome!r}; one of: {', '.join(OUTCOMES)}")
        query = select(AgentCall).order_by(AgentCall.started_at.desc()).limit(min(limit, 500))
        if agent_id:
            query = query.where(AgentCall.agent_id == agent_id)
        if outcome:
            query = query.where(AgentCall.outcome == outcome)
        async with tenant_session(self.db, tenant_id) as session:
            calls = (await session.scalars(query)).all()
            recorded = set(
                (
                    await session.scalars(
                        select(AgentRecording.call_id).where(
                            AgentRecording.call_id.in_([c.id for c in calls])
                        )
                    )
                ).all()
            )
            return [_call_dict(c, c.id in recorded) for c in calls]

    async def get(self, who: Principal, tenant_id: str, call_id: str) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "calls.read")
        async with tenant_session(self.db, tenant_id) as session:
            call = await _call(session, call_id)
            vault = self.privacy.vault
            summary = await vault.decrypt(session, call.subject_ref, call.summary)
            transcript = await vault.decrypt(session, call.subject_ref, call.transcript)
            recorded = await session.get(AgentRecording, call.id) is not None
            return {
                **_call_dict(call, recorded),
                "summary": summary.decode(),
                "transcript": json.loads(transcript),
            }

    async def recording(self, who: Account, tenant_id: str, call_id: str) -> bytes:
        await self.tenants.role(who, tenant_id, "recordings.read")
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.get(AgentRecording, call_id[:32])
            if found is None:
                raise NotFound("this call has no recording (never made, or past its retention)")
            return await self.privacy.vault.decrypt(session, found.subject_ref, found.audio)

    async def set_retention(self, who: Account, tenant_id: str, days: int, reason: str) -> int:
        """Record the business's written request to keep call records ``days``; audited."""
        await self.tenants.role(who, tenant_id, "tenant.manage")
        default = self.settings.agents.retention_days
        if not default <= days <= MAX_RETENTION_DAYS:
            raise InvalidInput(
                f"retention must be from {default} (the default) to {MAX_RETENTION_DAYS} days"
            )
        if len(reason.strip()) < 5:
            raise InvalidInput("say which written request this records (at least 5 characters)")
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None:
                raise NotFound("no such business")
            before = tenant.record_retention_days or default
            tenant.record_retention_days = None if days == default else days
            self.privacy.audit.record(
                session,
                actor_kind="account",
                actor_id=who.id,
                action="agents.retention.changed",
                category=CALLS,
                tenant=tenant_id,
                days_before=before,
                days=days,
                reason=reason.strip()[:300],
            )
        async with tenant_session(self.db, tenant_id) as session:
            span = dt.timedelta(days=days)
            calls = (await session.execute(select(AgentCall.id, AgentCall.started_at))).all()
            for call_id, started in calls:
                end = started + span
                await session.execute(
                    update(AgentCall).where(AgentCall.id == call_id).values(keep_until=end)
                )
                await session.execute(
                    update(AgentRecording)
                    .where(AgentRecording.call_id == call_id)
                    .values(keep_until=end)
                )
        return days


async def _call(session: AsyncSession, call_id: str) -> AgentCall:
    call = await session.get(AgentCall, call_id[:32])
    if call is None:
        raise NotFound("no call of this business has this id")
    return call


def _call_dict(call: AgentCall, recorded: bool) -> dict[str, Any]:
    return {
        "id": call.id,
        "agent_id": call.agent_id,
        "direction": call.direction,
        "caller": call.caller_masked,
        "started_at": call.started_at.isoformat(),
        "duration": round(call.duration, 1),
        "outcome": call.outcome,
        "booked": call.booked_slot,
        "keep_until": call.keep_until.isoformat(),
        "recorded": recorded,
    }
