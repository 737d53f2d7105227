"""The businesses' dashboard pages: their businesses, agents, knowledge, members, a box to try an
agent's replies, talking to it from the browser, its calls (transcript, summary, playback) and
how long they are kept. Plain forms with the session's CSRF token, posted through
``ringfence.http.forms.submit``; the same services as the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, NoReturn
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from ringfence.accounts.service import Login
from ringfence.errors import RingfenceError
from ringfence.http.countries import for_reader
from ringfence.http.deps import LoginDep, MaybeLoginDep
from ringfence.http.forms import see_other, submit
from ringfence.http.headers import MICROPHONE
from ringfence.services.agents.calls.charges import AgentCharges
from ringfence.services.agents.calls.components import VOICES
from ringfence.services.agents.calls.records import OUTCOMES, CallRecords
from ringfence.services.agents.service import Agents
from ringfence.services.agents.voices.service import Voices
from ringfence.services.agents.web.deps import (
    AgentsDep,
    ChargesDep,
    Csrf,
    InvitationsDep,
    KnowledgeDep,
    LifecycleDep,
    NumbersDep,
    Page,
    PageDep,
    RecordsDep,
    VoicesDep,
    connections_of,
)
from ringfence.tenants.invitations import Invitations
from ringfence.tenants.lifecycle import Lifecycle
from ringfence.tenants.numbers import NumberOffer, TenantNumbers
from ringfence.tenants.roles import PERMISSIONS, ROLES
from ringfence.tenants.service import READ_ONLY

router = APIRouter(include_in_schema=False)


def agent_form(
    name: Annotated[str, Form(max_length=80)],
    greeting: Annotated[str, Form(max_length=500)],
    instructions: Annotated[str, Form(max_length=10_000)] = "",
    phone_number: Annotated[str, Form(max_length=20)] = "",
    transfer_number: Annotated[str, Form(max_length=20)] = "",
    slots: Annotated[str, Form(max_length=5_000)] = "",
    voice: Annotated[str, Form(max_length=40)] = "default",
) -> dict[str, str]:
    """The fields of the agent forms (create and edit)."""
    return {"name": name, "greeting": greeting, "instructions": instructions,
            "phone_number": phone_number, "transfer_number": transfer_number,
            "slots": slots, "voice": voice}  # fmt: skip


AgentForm = Annotated[dict[str, str], Depends(agent_form)]


def unshown(error: RingfenceError) -> NoReturn:
    """``again`` for a form whose page has no place for its refusals: the refusal leaves like
    any other error (its status and ``{"error": ...}``), as it always has."""
    raise error


@router.get("/agents", response_class=HTMLResponse)
async def home(page: PageDep, agents: AgentsDep, login: MaybeLoginDep) -> Response:
    if login is None:
        return RedirectResponse("/account/login", status_code=303)
    businesses = await agents.tenants.mine(login.account)
    return page.render("home", {"businesses": businesses, "csrf": login.session.csrf})


@router.post("/agents/businesses")
async def new_business(
    page: PageDep,
    agents: AgentsDep,
    login: LoginDep,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=120)],
) -> Response:
    async def create() -> Response:
        tenant = await agents.tenants.create(login.account, name)
        return see_other(f"/agents/b/{tenant.id}")

    return await submit(page.request, csrf, login, create, unshown)


@dataclass(frozen=True)
class BusinessPage:
    """The business's page and what it shows, for the GET and for every form on it that shows
    the page again (with the refusal, a code being proved, or a proving call to follow)."""

    page: Page
    agents: Agents
    records: CallRecords
    numbers: TenantNumbers
    invitations: Invitations
    lifecycle: Lifecycle
    charges: AgentCharges

    async def render(
        self,
        login: Login,
        tenant_id: str,
        refused: RingfenceError | None = None,
        *,
        offer: NumberOffer | None = None,
        verifying: str | None = None,
    ) -> Response:
        """``offer``: a code being proved (shown with the form that places its call),
        ``verifying``: the id of a proving call whose progress the page follows."""
        agents, account = self.agents, login.account
        role = await agents.tenants.role(account, tenant_id, "agents.read")
        closed = await agents.tenants.closed(tenant_id)
        # A closed business is read-only until its data is purged.
        can = PERMISSIONS[role] & READ_ONLY if closed else PERMISSIONS[role]
        manages = "members.manage" in can
        context = {
            "tenant_id": tenant_id,
            "business": await agents.business_name(tenant_id),
            "keep_days": await self.records.keep_days(tenant_id),
            "role": role,
            "can": can,
            "closed": closed,
            "close_days": self.lifecycle.keep_days,
            "me": login.email,
            "agents": await agents.list(account, tenant_id),
            "members": await agents.tenants.members(account, tenant_id, self.invitations.addresses)
            if manages
            else [],
            "invitations": await self.invitations.pending(account, tenant_id) if manages else [],
            "roles": ROLES,
            "csrf": login.session.csrf,
            "numbers": await self.numbers.list(account, tenant_id),
            "countries": for_reader(self.page.request),
            "offer": offer,
            "verifying": verifying,
            "terms": await self.charges.terms(tenant_id),
        }
        return self.page.render("business", context, refused)


def business_page_of(
    page: PageDep,
    agents: AgentsDep,
    records: RecordsDep,
    numbers: NumbersDep,
    invitations: InvitationsDep,
    lifecycle: LifecycleDep,
    charges: ChargesDep,
) -> BusinessPage:
    return BusinessPage(page, agents, records, numbers, invitations, lifecycle, charges)


BusinessPageDep = Annotated[BusinessPage, Depends(business_page_of)]


@router.get("/agents/b/{tenant_id}", response_class=HTMLResponse)
async def business(
    business: BusinessPageDep,
    login: LoginDep,
    tenant_id: str,
    verifying: Annotated[str | None, Query(max_length=32, pattern="^[0-9a-zA-Z]+$")] = None,
) -> Response:
    return await business.render(login, tenant_id, verifying=verifying)


@router.post("/agents/b/{tenant_id}/agents")
async def new_agent(
    page: PageDep,
    agents: AgentsDep,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    fields: AgentForm,
) -> Response:
    async def create() -> Response:
        agent = await agents.create(login.account, tenant_id, fields)
        return see_other(f"/agents/b/{tenant_id}/a/{agent['id']}")

    return await submit(page.request, csrf, login, create, unshown)


async def agent_page(
    page: Page,
    agents: Agents,
    voices: Voices,
    login: Login,
    tenant_id: str,
    agent_id: str,
    refused: RingfenceError | None = None,
) -> Response:
    role = await agents.tenants.role(login.account, tenant_id, "agents.read")
    ready = [v for v in await voices.list(login.account, tenant_id) if v["state"] == "ready"]
    links = connections_of(page.request)
    can = PERMISSIONS[role]
    deliveries = (
        await links.deliveries(login.account, tenant_id, agent_id) if "calls.read" in can else []
    )
    context = {
        "tools": await links.list_tools(login.account, tenant_id, agent_id),
        "deliveries": deliveries,
        "tenant_id": tenant_id,
        "business": await agents.business_name(tenant_id),
        "agent": await agents.get(login.account, tenant_id, agent_id),
        "can": PERMISSIONS[role],
        "csrf": login.session.csrf,
        "voices": VOICES,
        "custom_voices": ready,
        "model_host": urlsplit(agents.settings.llm_url).hostname if agents.settings.llm_url else "",
    }
    response = page.render("agent", context, refused)
    response.headers.update(MICROPHONE)  # "talk to this agent" uses the microphone
    return response


@router.get("/agents/b/{tenant_id}/a/{agent_id}", response_class=HTMLResponse)
async def show_agent(
    page: PageDep,
    agents: AgentsDep,
    voices: VoicesDep,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
) -> Response:
    return await agent_page(page, agents, voices, login, tenant_id, agent_id)


@router.post("/agents/b/{tenant_id}/a/{agent_id}")
async def save_agent(
    page: PageDep,
    agents: AgentsDep,
    voices: VoicesDep,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
    csrf: Csrf,
    fields: AgentForm,
) -> Response:
    async def save() -> Response:
        await agents.update(login.account, tenant_id, agent_id, fields)
        return see_other(f"/agents/b/{tenant_id}/a/{agent_id}")

    return await submit(
        page.request,
        csrf,
        login,
        save,
        lambda refused: agent_page(page, agents, voices, login, tenant_id, agent_id, refused),
    )


@router.post("/agents/b/{tenant_id}/a/{agent_id}/knowledge")
async def new_knowledge(
    page: PageDep,
    knowledge: KnowledgeDep,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
    csrf: Csrf,
    question: Annotated[str, Form(max_length=500)],
    answer: Annotated[str, Form(max_length=5_000)],
) -> Response:
    async def add() -> Response:
        await knowledge.add(login.account, tenant_id, agent_id, question, answer)
        return see_other(f"/agents/b/{tenant_id}/a/{agent_id}")

    return await submit(page.request, csrf, login, add, unshown)


@router.get("/agents/b/{tenant_id}/calls", response_class=HTMLResponse)
async def calls_page(
    page: PageDep,
    agents: AgentsDep,
    records: RecordsDep,
    login: LoginDep,
    tenant_id: str,
    outcome: str = "",
    agent_id: str = "",
) -> Response:
    role = await agents.tenants.role(login.account, tenant_id, "calls.read")
    calls = await records.list(
        login.account, tenant_id, agent_id=agent_id or None, outcome=outcome or None
    )
    names = {a["id"]: a["name"] for a in await agents.list(login.account, tenant_id)}
    context = {
        "tenant_id": tenant_id,
        "business": await agents.business_name(tenant_id),
        "calls": calls,
        "agents": names,
        "outcomes": OUTCOMES,
        "chosen": {"outcome": outcome, "agent_id": agent_id},
        "can": PERMISSIONS[role],
    }
    return page.render("calls", context)


@router.get("/agents/b/{tenant_id}/calls/{call_id}", response_class=HTMLResponse)
async def call_page(
    page: PageDep,
    agents: AgentsDep,
    records: RecordsDep,
    login: LoginDep,
    tenant_id: str,
    call_id: str,
) -> Response:
    role = await agents.tenants.role(login.account, tenant_id, "calls.read")
    context = {
        "tenant_id": tenant_id,
        "business": await agents.business_name(tenant_id),
        "call": await records.get(login.account, tenant_id, call_id),
        "can": PERMISSIONS[role],
    }
    return page.render("call", context)


@router.post("/agents/b/{tenant_id}/retention")
async def set_retention(
    business: BusinessPageDep,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    days: Annotated[int, Form()],
    reason: Annotated[str, Form(max_length=300)],
) -> Response:
    async def keep() -> Response:
        await business.records.set_retention(login.account, tenant_id, days, reason)
        return see_other(f"/agents/b/{tenant_id}")

    return await submit(
        business.page.request,
        csrf,
        login,
        keep,
        lambda refused: business.render(login, tenant_id, refused),
    )
