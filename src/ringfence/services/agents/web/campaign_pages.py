"""The campaigns pages: a business's contact lists (uploaded from the page to the streaming
API) and campaigns, and each campaign's checks, controls, live progress and calls."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from ringfence.accounts.service import Login
from ringfence.errors import Forbidden, InvalidInput, RingfenceError
from ringfence.http.deps import LoginDep, caller_ids, check_csrf
from ringfence.services.agents.campaigns.service import CampaignSpec
from ringfence.services.agents.web.api import agents_of, contacts_of
from ringfence.services.agents.web.campaigns_api import campaigns_of
from ringfence.services.agents.web.pages import render
from ringfence.tenants.roles import PERMISSIONS

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]


def _utc(text: str) -> dt.datetime | None:
    """A time typed in the form (``datetime-local``, read as UTC), or None when empty."""
    if not text.strip():
        return None
    try:
        return dt.datetime.fromisoformat(text.strip()).replace(tzinfo=dt.UTC)
    except ValueError:
        raise InvalidInput(f"{text[:30]!r} is not a date and time") from None


async def _list_page(
    request: Request, login: Login, tenant_id: str, error: str = "", status: int = 200
) -> Response:
    service = agents_of(request)
    role = await service.tenants.role(login.account, tenant_id, "agents.read")
    context = {
        "tenant_id": tenant_id,
        "business": await service.business_name(tenant_id),
        "can": PERMISSIONS[role],
        "csrf": login.session.csrf,
        "error": error,
        "agents": await service.list(login.account, tenant_id),
        "lists": await contacts_of(request).lists(login.account, tenant_id),
        "campaigns": await campaigns_of(request).all(login.account, tenant_id),
        "caller_ids": await caller_ids(request).of(login.account),
    }
    return render(request, "campaigns", context, status)


@router.get("/agents/b/{tenant_id}/campaigns", response_class=HTMLResponse)
async def campaigns_page(request: Request, login: LoginDep, tenant_id: str) -> Response:
    return await _list_page(request, login, tenant_id)


@router.post("/agents/b/{tenant_id}/campaigns")
async def new_campaign(
    request: Request,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=120)],
    agent_id: Annotated[str, Form(max_length=32)],
    list_id: Annotated[str, Form(max_length=32)],
    opening: Annotated[str, Form(max_length=500)],
    caller_id: Annotated[str, Form(max_length=32)] = "",
    starts_at: Annotated[str, Form(max_length=40)] = "",
    ends_at: Annotated[str, Form(max_length=40)] = "",
    max_concurrent: Annotated[int, Form(ge=1, le=500)] = 2,
    calls_per_second: Annotated[float, Form(gt=0, le=100)] = 1.0,
    max_attempts: Annotated[int, Form(ge=1, le=10)] = 3,
    retry_minutes: Annotated[float, Form(ge=1, le=10_080)] = 30,
    on_machine: Annotated[str, Form(max_length=10)] = "hangup",
    voicemail: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    check_csrf(request, csrf, login)
    try:
        known = {c.id: c.number for c in await caller_ids(request).of(login.account)}
        if caller_id and caller_id not in known:
            raise InvalidInput("that caller id is not one of your verified numbers")
        spec = CampaignSpec(
            name=name, agent_id=agent_id, list_id=list_id, opening=opening,
            caller_number=known.get(caller_id), caller_verified=caller_id in known,
            starts_at=_utc(starts_at), ends_at=_utc(ends_at), max_concurrent=max_concurrent,
            calls_per_second=calls_per_second, max_attempts=max_attempts,
            retry_seconds=retry_minutes * 60, on_machine=on_machine, voicemail=voicemail,
        )  # fmt: skip
        made = await campaigns_of(request).create(login.account, tenant_id, spec)
    except Forbidden:
        raise
    except RingfenceError as exc:
        return await _list_page(request, login, tenant_id, exc.message, exc.http_status)
    return RedirectResponse(f"/agents/b/{tenant_id}/campaigns/{made['id']}", status_code=303)


async def _campaign_page(
    request: Request,
    login: Login,
    tenant_id: str,
    campaign_id: str,
    error: str = "",
    status: int = 200,
) -> Response:
    service = agents_of(request)
    role = await service.tenants.role(login.account, tenant_id, "agents.read")
    campaigns = campaigns_of(request)
    can = PERMISSIONS[role]
    context = {
        "tenant_id": tenant_id,
        "business": await service.business_name(tenant_id),
        "can": can,
        "csrf": login.session.csrf,
        "error": error,
        "progress": await campaigns.progress(login.account, tenant_id, campaign_id),
        "checks": await campaigns.checks(login.account, tenant_id, campaign_id),
        "calls": await campaigns.calls(login.account, tenant_id, campaign_id)
        if "calls.read" in can
        else [],
    }
    return render(request, "campaign", context, status)


@router.get("/agents/b/{tenant_id}/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign_page(
    request: Request, login: LoginDep, tenant_id: str, campaign_id: str
) -> Response:
    return await _campaign_page(request, login, tenant_id, campaign_id)


@router.post("/agents/b/{tenant_id}/campaigns/{campaign_id}/{action}")
async def campaign_action(
    request: Request, login: LoginDep, tenant_id: str, campaign_id: str, action: str, csrf: Csrf
) -> Response:
    check_csrf(request, csrf, login)
    try:
        await campaigns_of(request).act(login.account, tenant_id, campaign_id, action)
    except Forbidden:
        raise
    except RingfenceError as exc:
        return await _campaign_page(
            request, login, tenant_id, campaign_id, exc.message, exc.http_status
        )
    return RedirectResponse(f"/agents/b/{tenant_id}/campaigns/{campaign_id}", status_code=303)
