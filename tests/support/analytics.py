"""Calls seeded for an agent and a campaign, as the call records would hold them, and the
figures the analytics must report for them (worked out here by hand, not by the code)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from ringfence.services.agents.evaluations.service import key_ref
from ringfence.services.agents.models import (
    AgentCall,
    AgentNumber,
    Campaign,
    CampaignAttempt,
    EvaluationCall,
)
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session

# (days ago, outcome, seconds) of the agent's calls; the 40-day-old one is outside 30 days.
AGENT_CALLS = [
    (0, "answered", 30.0),
    (0, "booked", 90.0),
    (0, "transferred", 60.0),
    (1, "opted_out", 12.0),
    (1, "message_taken", 48.0),
    (3, "unresolved", 20.0),
    (40, "answered", 500.0),
]
# (days ago, attempt outcome, seconds of the answered call kept, or None)
CAMPAIGN_DIALS = [
    (0, "answered", 40.0),
    (0, "busy", None),
    (0, "call_back", 20.0),
    (2, "no_answer", None),
    (2, "opted_out", 15.0),
]
SCORES = [(5, 62.0), (1, 81.5)]  # (days ago, CallScore)


@dataclass
class Seeded:
    agent_id: str
    campaign_id: str
    number: str


async def seed(db: Database, tenant_id: str, agent_id: str, number: str) -> Seeded:
    """The calls above for ``agent_id`` (of ``tenant_id``), a campaign of its with the dials
    above, and two evaluations of the number it answers."""
    now = dt.datetime.now(dt.UTC)
    keep = now + dt.timedelta(days=365)
    async with db.session() as session:
        session.add(AgentNumber(number=number, tenant_id=tenant_id, agent_id=agent_id))
    async with tenant_session(db, tenant_id) as session:
        for i, (ago, outcome, seconds) in enumerate(AGENT_CALLS):
            started = now - dt.timedelta(days=ago, seconds=i)
            session.add(_call(agent_id, started, outcome, seconds, keep))
        campaign = Campaign(
            name="Reminders", agent_id=agent_id, list_id=uuid.uuid4().hex, opening="Hello",
            caller_number=None, state="done", max_concurrent=1, calls_per_second=1.0,
            max_attempts=1, retry_seconds=60.0, retry_backoff=1.0, ring_seconds=20.0,
            on_machine="hangup", created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(campaign)
        await session.flush()
        for i, (ago, outcome, seconds) in enumerate(CAMPAIGN_DIALS):
            started = now - dt.timedelta(days=ago, seconds=i)
            call_id = None
            if seconds is not None:
                kept = _call(agent_id, started, outcome, seconds, keep, direction="outbound")
                session.add(kept)
                call_id = kept.id
            session.add(
                CampaignAttempt(
                    campaign_id=campaign.id,
                    campaign_call_id=uuid.uuid4().hex,
                    subject_ref=f"phone:{uuid.uuid4().hex}",
                    number=1,
                    worker="w",
                    started_at=started,
                    ended_at=started,
                    outcome=outcome,
                    sip_status=200,
                    agent_call_id=call_id,
                    keep_until=keep,
                )  # fmt: skip
            )
        for ago, score in SCORES:
            at = now - dt.timedelta(days=ago)
            session.add(
                EvaluationCall(
                    number=number,
                    business="Shop",
                    questions="[]",
                    state="done",
                    rubric_version="1",
                    score=score,
                    key_ref=key_ref(tenant_id),  # no report or transcript: nothing sealed
                    requested_at=at,
                    finished_at=at,
                    keep_until=keep,
                )  # fmt: skip
            )
    return Seeded(agent_id, campaign.id, number)


def _call(
    agent_id: str,
    started: dt.datetime,
    outcome: str,
    seconds: float,
    keep: dt.datetime,
    direction: str = "inbound",
) -> AgentCall:
    return AgentCall(
        id=uuid.uuid4().hex, agent_id=agent_id, direction=direction,
        subject_ref=f"phone:{uuid.uuid4().hex}", caller_masked="+1 ••• ••00",
        started_at=started, ended_at=started + dt.timedelta(seconds=seconds), duration=seconds,
        outcome=outcome, booked_slot=None, summary=b"", transcript=b"", keep_until=keep,
    )  # fmt: skip
