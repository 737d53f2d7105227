"""The businesses' dashboard pages: their businesses, agents, knowledge, members, a box to try an
agent's replies, talking to it from the browser, its calls (transcript, summary, playback) and
how long they are kept. Plain forms with the session's CSRF token; the same services as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.templating import Jinja2Templates

from ringfence.accounts.service import Login
from ringfence.errors import Forbidden, RingfenceError
from ringfence.http.deps import LoginDep, check_csrf, current
from ringfence.http.headers import MICROPHONE
from ringfence.services.agents.calls.components import VOICES
from ringfence.services.agents.calls.records import OUTCOMES
from ringfence.services.agents.web.api import agents_of, records_of
from ringfence.tenants.roles import PERMISSIONS, ROLES

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]


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


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """An agents page (``templates/agents/<name>.html``)."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, f"agents/{name}.html", {"title": "agents", "service": "agents", **context},
        status_code=status,
    )  # fmt: skip


@router.get("/agents", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    found = await current(request)
    if found is None:
        return RedirectResponse("/account/login", status_code=303)
    account, session = found.account, found.session
    businesses = await agents_of(request).tenants.mine(account)
    return render(request, "home", {"businesses": businesses, "csrf": session.csrf})


@router.post("/agents/businesses")
async def new_business(
    request: Request, login: LoginDep, csrf: Csrf, name: Annotated[str, Form(max_length=120)]
) -> Response:
    check_csrf(request, csrf, login)
    tenant = await agents_of(request).tenants.create(login.account, name)
    return RedirectResponse(f"/agents/b/{tenant.id}", status_code=303)


async def _business_page(
    request: Request, login: Login, tenant_id: str, error: str = "", status: int = 200
) -> Response:
    service = agents_of(request)
    role = await service.tenants.role(login.account, tenant_id, "agents.read")
    members = (
        await service.tenants.members(login.account, tenant_id)
        if "members.manage" in PERMISSIONS[role]
        else []
    )
    context = {
        "tenant_id": tenant_id,
        "business": await service.business_name(tenant_id),
        "keep_days": await records_of(request).keep_days(tenant_id),
        "role": role,
        "can": PERMISSIONS[role],
        "agents": await service.list(login.account, tenant_id),
        "members": members,
        "roles": ROLES,
        "csrf": login.session.csrf,
        "error": error,
    }
    return render(request, "business", context, status)


@router.get("/agents/b/{tenant_id}", response_class=HTMLResponse)
async def business(request: Request, login: LoginDep, tenant_id: str) -> Response:
    return await _business_page(request, login, tenant_id)


@router.post("/agents/b/{tenant_id}/agents")
async def new_agent(
    request: Request, login: LoginDep, tenant_id: str, csrf: Csrf, fields: AgentForm
) -> Response:
    check_csrf(request, csrf, login)
    agent = await agents_of(request).create(login.account, tenant_id, fields)
    return RedirectResponse(f"/agents/b/{tenant_id}/a/{agent['id']}", status_code=303)


@router.post("/agents/b/{tenant_id}/members")
async def new_member(
    request: Request,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    email: Annotated[str, Form(max_length=254)],
    role: Annotated[str, Form(max_length=16)],
) -> Response:
    check_csrf(request, csrf, login)
    try:
        await agents_of(request).tenants.add_member(login.account, tenant_id, email, role)
    except Forbidden:
        raise
    except RingfenceError as exc:
        return await _business_page(request, login, tenant_id, exc.message, exc.http_status)
    return RedirectResponse(f"/agents/b/{tenant_id}", status_code=303)


async def _agent_page(
    request: Request,
    login: Login,
    tenant_id: str,
    agent_id: str,
    error: str = "",
    status: int = 200,
) -> Response:
    service = agents_of(request)
    role = await service.tenants.role(login.account, tenant_id, "agents.read")
    context = {
        "tenant_id": tenant_id,
        "business": await service.business_name(tenant_id),
        "agent": await service.get(login.account, tenant_id, agent_id),
        "can": PERMISSIONS[role],
        "csrf": login.session.csrf,
        "error": error,
        "voices": VOICES,
    }
    response = render(request, "agent", context, status)
    response.headers.update(MICROPHONE)  # "talk to this agent" uses the microphone
    return response


@router.get("/agents/b/{tenant_id}/a/{agent_id}", response_class=HTMLResponse)
async def agent_page(request: Request, login: LoginDep, tenant_id: str, agent_id: str) -> Response:
    return await _agent_page(request, login, tenant_id, agent_id)


@router.post("/agents/b/{tenant_id}/a/{agent_id}")
async def save_agent(
    request: Request, login: LoginDep, tenant_id: str, agent_id: str, csrf: Csrf, fields: AgentForm
) -> Response:
    check_csrf(request, csrf, login)
    try:
        await agents_of(request).update(login.account, tenant_id, agent_id, fields)
    except Forbidden:
        raise
    except RingfenceError as exc:
        return await _agent_page(request, login, tenant_id, agent_id, exc.message, exc.http_status)
    return RedirectResponse(f"/agents/b/{tenant_id}/a/{agent_id}", status_code=303)


@router.post("/agents/b/{tenant_id}/a/{agent_id}/knowledge")
async def new_knowledge(
    request: Request,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
    csrf: Csrf,
    question: Annotated[str, Form(max_length=500)],
    answer: Annotated[str, Form(max_length=5_000)],
) -> Response:
    check_csrf(request, csrf, login)
    await agents_of(request).add_knowledge(login.account, tenant_id, agent_id, question, answer)
    return RedirectResponse(f"/agents/b/{tenant_id}/a/{agent_id}", status_code=303)


@router.get("/agents/b/{tenant_id}/calls", response_class=HTMLResponse)
async def calls_page(
    request: Request,
    login: LoginDep,
    tenant_id: str,
    outcome: str = "",
    agent_id: str = "",
) -> Response:
    service = agents_of(request)
    role = await service.tenants.role(login.account, tenant_id, "calls.read")
    calls = await records_of(request).list(
        login.account, tenant_id, agent_id=agent_id or None, outcome=outcome or None
    )
    agents = {a["id"]: a["name"] for a in await service.list(login.account, tenant_id)}
    context = {
        "tenant_id": tenant_id,
        "business": await service.business_name(tenant_id),
        "calls": calls,
        "agents": agents,
        "outcomes": OUTCOMES,
        "chosen": {"outcome": outcome, "agent_id": agent_id},
        "can": PERMISSIONS[role],
    }
    return render(request, "calls", context)


@router.get("/agents/b/{tenant_id}/calls/{call_id}", response_class=HTMLResponse)
async def call_page(request: Request, login: LoginDep, tenant_id: str, call_id: str) -> Response:
    service = agents_of(request)
    role = await service.tenants.role(login.account, tenant_id, "calls.read")
    context = {
        "tenant_id": tenant_id,
        "business": await service.business_name(tenant_id),
        "call": await records_of(request).get(login.account, tenant_id, call_id),
        "can": PERMISSIONS[role],
    }
    return render(request, "call", context)


@router.post("/agents/b/{tenant_id}/retention")
async def set_retention(
    request: Request,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    days: Annotated[int, Form()],
    reason: Annotated[str, Form(max_length=300)],
) -> Response:
    check_csrf(request, csrf, login)
    try:
        await records_of(request).set_retention(login.account, tenant_id, days, reason)
    except Forbidden:
        raise
    except RingfenceError as exc:
        return await _business_page(request, login, tenant_id, exc.message, exc.http_status)
    return RedirectResponse(f"/agents/b/{tenant_id}", status_code=303)
