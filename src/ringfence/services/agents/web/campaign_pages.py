"""The campaigns pages: a business's contact lists (uploaded from the page to the streaming
API) and campaigns, and each campaign's checks, controls, live progress and calls."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse

from ringfence.accounts.service import Login
from ringfence.errors import InvalidInput, RingfenceError
from ringfence.http.countries import for_reader
from ringfence.http.deps import LoginDep
from ringfence.http.forms import see_other, submit
from ringfence.services.agents.campaigns.contacts import ContactLists
from ringfence.services.agents.campaigns.service import Campaigns, CampaignSpec
from ringfence.services.agents.service import Agents
from ringfence.services.agents.web.deps import (
    AgentsDep,
    CampaignsDep,
    ContactsDep,
    Csrf,
    NumbersDep,
    Page,
    PageDep,
)
from ringfence.tenants.numbers import TenantNumbers
from ringfence.tenants.roles import PERMISSIONS

router = APIRouter(include_in_schema=False)


def _utc(text: str) -> dt.datetime | None:
    """A time typed in the form (``datetime-local``, read as UTC), or None when empty."""
    if not text.strip():
        return None
    try:
        return dt.datetime.fromisoformat(text.strip()).replace(tzinfo=dt.UTC)
    except ValueError:
        raise InvalidInput(f"{text[:30]!r} is not a date and time") from None


async def _list_page(
    page: Page,
    agents: Agents,
    contacts: ContactLists,
    campaigns: Campaigns,
    numbers: TenantNumbers,
    login: Login,
    tenant_id: str,
    refused: RingfenceError | None = None,
) -> Response:
    role = await agents.tenants.role(login.account, tenant_id, "agents.read")
    context = {
        "tenant_id": tenant_id,
        "business": await agents.business_name(tenant_id),
        "can": PERMISSIONS[role],
        "csrf": login.session.csrf,
        "agents": await agents.list(login.account, tenant_id),
        "lists": await contacts.lists(login.account, tenant_id),
        "campaigns": await campaigns.all(login.account, tenant_id),
        "caller_ids": await numbers.of(tenant_id),
        "countries": for_reader(page.request),
    }
    return page.render("campaigns", context, refused)


@router.get("/agents/b/{tenant_id}/campaigns", response_class=HTMLResponse)
async def campaigns_page(
    page: PageDep,
    agents: AgentsDep,
    contacts: ContactsDep,
    campaigns: CampaignsDep,
    numbers: NumbersDep,
    login: LoginDep,
    tenant_id: str,
) -> Response:
    return await _list_page(page, agents, contacts, campaigns, numbers, login, tenant_id)


@router.post("/agents/b/{tenant_id}/campaigns")
async def new_campaign(
    page: PageDep,
    agents: AgentsDep,
    contacts: ContactsDep,
    campaigns: CampaignsDep,
    numbers: NumbersDep,
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
    async def create() -> Response:
        known = {n.id: n.number for n in await numbers.of(tenant_id)}
        if caller_id and caller_id not in known:
            raise InvalidInput("that caller id is not a number this business verified")
        spec = CampaignSpec(
            name=name, agent_id=agent_id, list_id=list_id, opening=opening,
            caller_number=known.get(caller_id),
            starts_at=_utc(starts_at), ends_at=_utc(ends_at), max_concurrent=max_concurrent,
            calls_per_second=calls_per_second, max_attempts=max_attempts,
            retry_seconds=retry_minutes * 60, on_machine=on_machine, voicemail=voicemail,
        )  # fmt: skip
        made = await campaigns.create(login.account, tenant_id, spec)
        return see_other(f"/agents/b/{tenant_id}/campaigns/{made['id']}")

    return await submit(
        page.request,
        csrf,
        login,
        create,
        lambda refused: _list_page(
            page, agents, contacts, campaigns, numbers, login, tenant_id, refused
        ),
    )


async def _campaign_page(
    page: Page,
    agents: Agents,
    campaigns: Campaigns,
    login: Login,
    tenant_id: str,
    campaign_id: str,
    refused: RingfenceError | None = None,
) -> Response:
    role = await agents.tenants.role(login.account, tenant_id, "agents.read")
    can = PERMISSIONS[role]
    context = {
        "tenant_id": tenant_id,
        "business": await agents.business_name(tenant_id),
        "can": can,
        "csrf": login.session.csrf,
        "progress": await campaigns.progress(login.account, tenant_id, campaign_id),
        "checks": await campaigns.checks(login.account, tenant_id, campaign_id),
        "calls": await campaigns.calls(login.account, tenant_id, campaign_id)
        if "calls.read" in can
        else [],
    }
    return page.render("campaign", context, refused)


@router.get("/agents/b/{tenant_id}/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign_page(
    page: PageDep,
    agents: AgentsDep,
    campaigns: CampaignsDep,
    login: LoginDep,
    tenant_id: str,
    campaign_id: str,
) -> Response:
    return await _campaign_page(page, agents, campaigns, login, tenant_id, campaign_id)


@router.post("/agents/b/{tenant_id}/campaigns/{campaign_id}/{action}")
async def campaign_action(
    page: PageDep,
    agents: AgentsDep,
    campaigns: CampaignsDep,
    login: LoginDep,
    tenant_id: str,
    campaign_id: str,
    action: str,
    csrf: Csrf,
) -> Response:
    async def act() -> Response:
        await campaigns.act(login.account, tenant_id, campaign_id, action)
        return see_other(f"/agents/b/{tenant_id}/campaigns/{campaign_id}")

    return await submit(
        page.request,
        csrf,
        login,
        act,
        lambda refused: _campaign_page(
            page, agents, campaigns, login, tenant_id, campaign_id, refused
        ),
    )
