"""HTTP edge of outbound campaigns: create, check, start, pause, resume, cancel, progress."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ringfence.http.deps import CsrfHeader, LoginDep, check_csrf_header
from ringfence.services.agents.campaigns.service import CampaignSpec
from ringfence.services.agents.web.deps import CampaignsDep, NumbersDep

router = APIRouter(tags=["agents"])


class CampaignIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    agent_id: str = Field(max_length=32)
    list_id: str = Field(max_length=32)
    opening: str = Field(
        min_length=1, max_length=500, description="Why the agent calls, said after the disclosure."
    )
    caller_id: str | None = Field(
        None,
        max_length=32,
        description="The id of one of the business's numbers verified by a call with a code "
        "(GET /api/tenants/{tenant_id}/numbers).",
    )
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    max_concurrent: int = Field(2, ge=1, le=500)
    calls_per_second: float = Field(1.0, gt=0, le=100)
    max_attempts: int = Field(3, ge=1, le=10)
    retry_seconds: float = Field(1800, ge=1, le=7 * 86400)
    retry_backoff: float = Field(2.0, ge=1, le=10)
    ring_seconds: float = Field(30, ge=5, le=120)
    on_machine: Literal["hangup", "message"] = "hangup"
    voicemail: str = Field("", max_length=500)


@router.post("/api/tenants/{tenant_id}/campaigns", status_code=201)
async def create_campaign(
    campaigns: CampaignsDep,
    numbers: NumbersDep,
    login: LoginDep,
    tenant_id: str,
    body: CampaignIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, Any]:
    """A draft campaign with one call per contact of the list; it starts when its checks pass."""
    account = check_csrf_header(login, x_csrf_token)
    await campaigns.tenants.role(account, tenant_id, "agents.edit")
    number = None
    if body.caller_id is not None:
        number = await numbers.number(tenant_id, body.caller_id)
    fields = body.model_dump(exclude={"caller_id"})
    spec = CampaignSpec(**fields, caller_number=number)
    return await campaigns.create(account, tenant_id, spec)


@router.get("/api/tenants/{tenant_id}/campaigns")
async def list_campaigns(
    campaigns: CampaignsDep, login: LoginDep, tenant_id: str
) -> dict[str, Any]:
    return {"campaigns": await campaigns.all(login.account, tenant_id)}


@router.get("/api/tenants/{tenant_id}/campaigns/{campaign_id}")
async def campaign_progress(
    campaigns: CampaignsDep, login: LoginDep, tenant_id: str, campaign_id: str
) -> dict[str, Any]:
    """The campaign, its live progress (dialled, answered, outcomes) and its start checks."""
    progress = await campaigns.progress(login.account, tenant_id, campaign_id)
    progress["checks"] = await campaigns.checks(login.account, tenant_id, campaign_id)
    return progress


@router.get("/api/tenants/{tenant_id}/campaigns/{campaign_id}/calls")
async def campaign_calls(
    campaigns: CampaignsDep, login: LoginDep, tenant_id: str, campaign_id: str
) -> dict[str, Any]:
    """Each contact: state, dials, last outcome, why it was not called or why it waits."""
    return {"calls": await campaigns.calls(login.account, tenant_id, campaign_id)}


@router.post("/api/tenants/{tenant_id}/campaigns/{campaign_id}/{action}")
async def campaign_action(
    campaigns: CampaignsDep,
    login: LoginDep,
    tenant_id: str,
    campaign_id: str,
    action: Literal["start", "pause", "resume", "cancel"],
    x_csrf_token: CsrfHeader = "",
) -> dict[str, Any]:
    """Start (only when every check passes: 409 with the failing ones otherwise), pause,
    resume or cancel."""
    account = check_csrf_header(login, x_csrf_token)
    return await campaigns.act(account, tenant_id, campaign_id, action)
