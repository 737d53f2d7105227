"""The knowledge base on the agent's page: change, delete and move entries, import a CSV file
(its wrong lines shown, nothing changed), export it; and the page of what callers asked
(``services.agents.knowledge``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import HTMLResponse

from ringfence.accounts.service import Login
from ringfence.errors import RingfenceError
from ringfence.http.bodies import upload
from ringfence.http.deps import LoginDep
from ringfence.http.forms import see_other, submit
from ringfence.services.agents.knowledge import MAX_CSV_BYTES
from ringfence.services.agents.web.deps import (
    Csrf,
    KnowledgeDep,
    Page,
    PageDep,
    agents_of,
    voices_of,
)
from ringfence.services.agents.web.pages import agent_page

router = APIRouter(include_in_schema=False)
AGENT = "/agents/b/{tenant_id}/a/{agent_id}"


def _back(tenant_id: str, agent_id: str) -> Response:
    return see_other(f"/agents/b/{tenant_id}/a/{agent_id}#knowledge")


@router.post(AGENT + "/knowledge/{entry_id}")
async def change_entry(
    page: PageDep,
    knowledge: KnowledgeDep,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
    entry_id: str,
    csrf: Csrf,
    question: Annotated[str, Form(max_length=500)] = "",
    answer: Annotated[str, Form(max_length=5_000)] = "",
    move: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Save the entry, or move it one place ``up`` or ``down``."""

    async def act() -> Response:
        if move in ("up", "down"):
            order = [e["id"] for e in await knowledge.entries(login.account, tenant_id, agent_id)]
            if entry_id in order:
                at = order.index(entry_id)
                to = max(0, min(len(order) - 1, at + (-1 if move == "up" else 1)))
                order[at], order[to] = order[to], order[at]
                await knowledge.reorder(login.account, tenant_id, agent_id, order)
        else:
            await knowledge.change(login.account, tenant_id, agent_id, entry_id, question, answer)
        return _back(tenant_id, agent_id)

    return await submit(page.request, csrf, login, act, _again(page, login, tenant_id, agent_id))


@router.post(AGENT + "/knowledge/{entry_id}/delete")
async def delete_entry(
    page: PageDep,
    knowledge: KnowledgeDep,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
    entry_id: str,
    csrf: Csrf,
) -> Response:
    async def act() -> Response:
        await knowledge.delete(login.account, tenant_id, agent_id, entry_id)
        return _back(tenant_id, agent_id)

    return await submit(page.request, csrf, login, act, _again(page, login, tenant_id, agent_id))


@router.post(AGENT + "/knowledge-import")
@upload
async def import_entries(
    page: PageDep,
    knowledge: KnowledgeDep,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
    csrf: Csrf,
    file: Annotated[UploadFile, File()],
) -> Response:
    async def act() -> Response:
        data = await file.read(MAX_CSV_BYTES + 1)
        await knowledge.import_csv(login.account, tenant_id, agent_id, data)
        return _back(tenant_id, agent_id)

    return await submit(page.request, csrf, login, act, _again(page, login, tenant_id, agent_id))


@router.get(AGENT + "/insights", response_class=HTMLResponse)
async def insights_page(
    page: PageDep, knowledge: KnowledgeDep, login: LoginDep, tenant_id: str, agent_id: str
) -> Response:
    found = await knowledge.insights(login.account, tenant_id, agent_id)
    return page.render("insights", {"tenant_id": tenant_id, "agent_id": agent_id, **found})


def _again(
    page: Page, login: Login, tenant_id: str, agent_id: str
) -> Callable[[RingfenceError], Awaitable[Response]]:
    """The agent's page again, with what was refused."""

    async def again(exc: RingfenceError) -> Response:
        request = page.request
        return await agent_page(
            page, agents_of(request), voices_of(request), login, tenant_id, agent_id, exc
        )

    return again
