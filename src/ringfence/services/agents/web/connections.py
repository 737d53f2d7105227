"""The business's Connections page (owner, admin): its signing secret and API keys, each shown
once when made, and its post-call webhooks; and on an agent's page, its tools and the
webhooks' delivery log (``services.agents.hooks.service``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse

from ringfence.accounts.service import Login
from ringfence.errors import InvalidInput, RingfenceError
from ringfence.http.deps import LoginDep
from ringfence.http.forms import see_other, submit
from ringfence.services.agents.hooks.service import Connections
from ringfence.services.agents.web.deps import (
    ConnectionsDep,
    Csrf,
    Page,
    PageDep,
    agents_of,
    voices_of,
)
from ringfence.services.agents.web.pages import agent_page
from ringfence.tenants.keys import SCOPES

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=500)]


async def _page(
    page: Page,
    links: Connections,
    login: Login,
    tenant_id: str,
    refused: RingfenceError | None = None,
    **shown: Any,
) -> Response:
    overview = await links.overview(login.account, tenant_id)
    context = {
        "tenant_id": tenant_id,
        "csrf": login.session.csrf,
        "scopes": list(SCOPES),
        **overview,
        **shown,
    }
    return page.render("connections", context, refused)


@router.get("/agents/b/{tenant_id}/connections", response_class=HTMLResponse)
async def connections_page(
    page: PageDep, links: ConnectionsDep, login: LoginDep, tenant_id: str
) -> Response:
    return await _page(page, links, login, tenant_id)


@router.post("/agents/b/{tenant_id}/connections/secret")
async def make_secret(
    page: PageDep, links: ConnectionsDep, login: LoginDep, tenant_id: str, csrf: Csrf
) -> Response:
    async def act() -> Response:
        secret = await links.rotate_secret(login.account, tenant_id)
        return await _page(page, links, login, tenant_id, new_secret=secret)

    return await submit(
        page.request, csrf, login, act, lambda e: _page(page, links, login, tenant_id, e)
    )


@router.post("/agents/b/{tenant_id}/connections/keys")
async def make_key(
    page: PageDep,
    links: ConnectionsDep,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=80)] = "",
    scope: Annotated[list[str] | None, Form()] = None,
) -> Response:
    async def act() -> Response:
        key, _ = await links.make_key(login.account, tenant_id, name, scope or [])
        return await _page(page, links, login, tenant_id, new_key=key)

    return await submit(
        page.request, csrf, login, act, lambda e: _page(page, links, login, tenant_id, e)
    )


@router.post("/agents/b/{tenant_id}/connections/keys/{key_id}/revoke")
async def revoke_key(
    page: PageDep, links: ConnectionsDep, login: LoginDep, tenant_id: str, key_id: str, csrf: Csrf
) -> Response:
    async def act() -> Response:
        await links.revoke_key(login.account, tenant_id, key_id)
        return see_other(f"/agents/b/{tenant_id}/connections")

    return await submit(
        page.request, csrf, login, act, lambda e: _page(page, links, login, tenant_id, e)
    )


@router.post("/agents/b/{tenant_id}/connections/webhooks")
async def add_webhook(
    page: PageDep,
    links: ConnectionsDep,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    url: Text = "",
    send_transcript: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    async def act() -> Response:
        await links.add_webhook(login.account, tenant_id, url, send_transcript == "yes")
        return see_other(f"/agents/b/{tenant_id}/connections")

    return await submit(
        page.request,
        csrf,
        login,
        act,
        lambda e: _page(page, links, login, tenant_id, e, typed_url=url),
    )


@router.post("/agents/b/{tenant_id}/connections/webhooks/{webhook_id}/remove")
async def remove_webhook(
    page: PageDep,
    links: ConnectionsDep,
    login: LoginDep,
    tenant_id: str,
    webhook_id: str,
    csrf: Csrf,
) -> Response:
    async def act() -> Response:
        await links.remove_webhook(login.account, tenant_id, webhook_id)
        return see_other(f"/agents/b/{tenant_id}/connections")

    return await submit(
        page.request, csrf, login, act, lambda e: _page(page, links, login, tenant_id, e)
    )


@router.post("/agents/b/{tenant_id}/a/{agent_id}/tools")
async def declare_tool(
    page: PageDep,
    links: ConnectionsDep,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=64)] = "",
    description: Text = "",
    url: Text = "",
    parameters: Annotated[str, Form(max_length=20_000)] = "",
    timeout_seconds: Annotated[str, Form(max_length=8)] = "4",
) -> Response:
    back = f"/agents/b/{tenant_id}/a/{agent_id}"

    async def act() -> Response:
        try:
            schema = json.loads(parameters or "{}")
            seconds = float(timeout_seconds)
        except ValueError:
            raise InvalidInput("the parameters are not JSON, or the timeout not a number") from None
        if not isinstance(schema, dict):
            raise InvalidInput('the parameters schema must be an object: {"type": "object"}')
        fields = {"name": name, "description": description, "url": url,
                  "parameters": schema, "timeout_seconds": seconds}  # fmt: skip
        await links.declare_tool(login.account, tenant_id, agent_id, fields)
        return see_other(back + "#tools")

    async def again(exc: RingfenceError) -> Response:
        request = page.request
        return await agent_page(
            page, agents_of(request), voices_of(request), login, tenant_id, agent_id, exc
        )

    return await submit(page.request, csrf, login, act, again)


@router.post("/agents/b/{tenant_id}/a/{agent_id}/tools/{tool_id}/remove")
async def remove_tool(
    page: PageDep,
    links: ConnectionsDep,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
    tool_id: str,
    csrf: Csrf,
) -> Response:
    async def act() -> Response:
        await links.remove_tool(login.account, tenant_id, agent_id, tool_id)
        return see_other(f"/agents/b/{tenant_id}/a/{agent_id}#tools")

    return await submit(
        page.request, csrf, login, act, lambda e: _page(page, links, login, tenant_id, e)
    )
