"""How a business's agents and campaigns do, in figures: calls per day, outcomes, average
handle time, calls resolved without a transfer, opt-outs, and evaluation scores over time.

Computed when asked from the records still kept (``AgentCall``, ``CampaignAttempt``,
``EvaluationCall``), so the figures shrink as the retention sweeper deletes what expired: no
figure is stored, and none names or counts a person (no number, no transcript is read). Days
are UTC days. A member who may read the business's agents (``agents.read``), or a key with the
``agents:read`` scope, sees them; a business's figures never include another's rows (the
scoped session), and an agent or campaign of another business is not found.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import InvalidInput, NotFound
from ringfence.services.agents.models import (
    Agent,
    AgentCall,
    AgentNumber,
    Campaign,
    CampaignAttempt,
    EvaluationCall,
)
from ringfence.store.database import Database
from ringfence.tenants.keys import Principal
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

MAX_DAYS = 366
# Ended with what the contact or caller wanted done by the agent itself (a transfer is not).
RESOLVED = ("answered", "booked", "message_taken", "call_back", "message_left")
TRANSFERRED = "transferred"
OPTED_OUT = "opted_out"


def _checked(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be between 1 and {MAX_DAYS}")
    return days


def figures(
    calls: Sequence[tuple[dt.datetime, str, float | None]],
    scores: Sequence[tuple[dt.datetime, float]],
    first_day: dt.date,
    days: int,
) -> dict[str, Any]:
    """The figures of ``calls`` (when each started, its outcome, its length in seconds when it
    was answered) and of evaluation ``scores``, over ``days`` days from ``first_day``."""
    per_day = Counter(at.astimezone(dt.UTC).date() for at, _, _ in calls)
    handled = [seconds for _, _, seconds in calls if seconds is not None]
    outcomes = Counter(outcome for _, outcome, _ in calls)
    return {
        "days": days,
        "from": first_day.isoformat(),
        "calls": len(calls),
        "per_day": [
            {"day": (day := first_day + dt.timedelta(days=i)).isoformat(), "calls": per_day[day]}
            for i in range(days)
        ],
        "outcomes": dict(sorted(outcomes.items())),
        "average_handle_seconds": round(sum(handled) / len(handled), 1) if handled else None,
        "resolved_without_transfer": sum(outcomes[o] for o in RESOLVED),
        "transferred": outcomes[TRANSFERRED],
        "opt_outs": outcomes[OPTED_OUT],
        "evaluations": [
            {"at": at.astimezone(dt.UTC).isoformat(), "score": score} for at, score in scores
        ],
    }


class Analytics:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.tenants = Tenants(db, clock)

    def _since(self, days: int) -> tuple[dt.date, dt.datetime]:
        first = self.clock.now().astimezone(dt.UTC).date() - dt.timedelta(days=days - 1)
        return first, dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)

    async def agent(
        self, who: Principal, tenant_id: str, agent_id: str, days: int = 30
    ) -> dict[str, Any]:
        """The agent's calls (inbound and campaign) of the last ``days`` days."""
        await self.tenants.role(who, tenant_id, "agents.read")
        first, since = self._since(_checked(days))
        numbers = await self._numbers(tenant_id, agent_id)
        async with tenant_session(self.db, tenant_id) as session:
            if await session.get(Agent, agent_id) is None:
                raise NotFound("no such agent")
            rows = (
                await session.execute(
                    select(AgentCall.started_at, AgentCall.outcome, AgentCall.duration).where(
                        AgentCall.agent_id == agent_id, AgentCall.started_at >= since
                    )
                )
            ).all()
            scores = await self._scores(session, numbers, since)
        calls = [(at, outcome, seconds) for at, outcome, seconds in rows]
        return {"agent_id": agent_id, **figures(calls, scores, first, days)}

    async def campaign(
        self, who: Principal, tenant_id: str, campaign_id: str, days: int = 30
    ) -> dict[str, Any]:
        """The campaign's dials of the last ``days`` days, each with its outcome (busy and
        unanswered ones too); handle time from the answered calls still kept; the evaluation
        scores of the campaign's agent."""
        await self.tenants.role(who, tenant_id, "agents.read")
        first, since = self._since(_checked(days))
        async with tenant_session(self.db, tenant_id) as session:
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None:
                raise NotFound("no such campaign")
            rows = (
                await session.execute(
                    select(CampaignAttempt.started_at, CampaignAttempt.outcome, AgentCall.duration)
                    .outerjoin(AgentCall, AgentCall.id == CampaignAttempt.agent_call_id)
                    .where(
                        CampaignAttempt.campaign_id == campaign_id,
                        CampaignAttempt.started_at >= since,
                    )
                )
            ).all()
            numbers = await self._numbers(tenant_id, campaign.agent_id)
            scores = await self._scores(session, numbers, since)
        calls = [(at, outcome or "in_progress", seconds) for at, outcome, seconds in rows]
        return {"campaign_id": campaign_id, **figures(calls, scores, first, days)}

    async def _numbers(self, tenant_id: str, agent_id: str) -> list[str]:
        """The numbers the agent answers (their table is outside the tenant's scope: it
        routes calls before anyone knows whose they are)."""
        async with self.db.session() as session:
            found = await session.scalars(
                select(AgentNumber.number).where(
                    AgentNumber.tenant_id == tenant_id, AgentNumber.agent_id == agent_id
                )
            )
            return list(found.all())

    async def _scores(
        self, session: AsyncSession, numbers: list[str], since: dt.datetime
    ) -> list[tuple[dt.datetime, float]]:
        """Finished evaluations of the agent's numbers, oldest first."""
        rows = (
            await session.execute(
                select(EvaluationCall.finished_at, EvaluationCall.score)
                .where(
                    EvaluationCall.number.in_(numbers),
                    EvaluationCall.score.is_not(None),
                    EvaluationCall.finished_at >= since,
                )
                .order_by(EvaluationCall.finished_at)
            )
        ).all()
        return [(at, float(score)) for at, score in rows if at is not None and score is not None]
