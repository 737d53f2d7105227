"""HTTP edge of an agent's and a campaign's figures (``services.agents.analytics``): JSON for a
member signed in or the business's API key (agents:read); the agent and campaign pages draw
the same JSON as charts (static/agents/analytics.js)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ringfence.services.agents.analytics import MAX_DAYS
from ringfence.services.agents.web.deps import AnalyticsDep, MemberDep

router = APIRouter(tags=["agents"])
Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="How many days, up to today (UTC).")]


@router.get("/api/tenants/{tenant_id}/agents/{agent_id}/analytics")
async def agent_analytics(
    analytics: AnalyticsDep, who: MemberDep, tenant_id: str, agent_id: str, days: Days = 30
) -> dict[str, Any]:
    """Calls per day, outcomes, average handle time, resolved without transfer, opt-outs and
    evaluation scores, from the agent's calls still kept."""
    return await analytics.agent(who, tenant_id, agent_id, days)


@router.get("/api/tenants/{tenant_id}/campaigns/{campaign_id}/analytics")
async def campaign_analytics(
    analytics: AnalyticsDep, who: MemberDep, tenant_id: str, campaign_id: str, days: Days = 30
) -> dict[str, Any]:
    """The same figures for a campaign's dials (busy and unanswered ones counted too)."""
    return await analytics.campaign(who, tenant_id, campaign_id, days)
