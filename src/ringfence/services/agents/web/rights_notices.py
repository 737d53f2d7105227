"""HTTP edge of the privacy requests passed on to a business (``tenants.rights_notices``): people
who proved they answer a number asked for a copy, a restriction or the erasure of what the
platform held about it, and some of it was this business's. The JSON API under
``/api/tenants/{tenant_id}/rights-notices`` and the business's page listing them with the legal
deadline, where an owner or admin acknowledges each."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.http.deps import CsrfHeader, LoginDep, check_csrf_header
from ringfence.http.forms import see_other, submit
from ringfence.http.instances import per_app
from ringfence.services.agents.web.deps import AgentsDep, Csrf, PageDep
from ringfence.services.agents.web.pages import unshown
from ringfence.tenants.rights_notices import Notices
from ringfence.tenants.roles import PERMISSIONS

router = APIRouter(tags=["agents"])


def notices_of(request: Request) -> Notices:
    return per_app(request, Notices, lambda s: Notices(s.db, s.privacy.clock))


NoticesDep = Annotated[Notices, Depends(notices_of)]


@router.get("/api/tenants/{tenant_id}/rights-notices")
async def list_notices(notices: NoticesDep, login: LoginDep, tenant_id: str) -> dict[str, Any]:
    """Privacy requests that touched this business's records, open ones first by deadline:
    what was asked, which records (counts), and by when the business must answer for any copy
    it keeps outside the platform."""
    return {"notices": list(await notices.of(login.account, tenant_id))}


@router.post("/api/tenants/{tenant_id}/rights-notices/{notice_id}/acknowledge")
async def acknowledge(
    notices: NoticesDep,
    login: LoginDep,
    tenant_id: str,
    notice_id: str,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, str]:
    account = check_csrf_header(login, x_csrf_token)
    await notices.acknowledge(account, tenant_id, notice_id[:32])
    return {"acknowledged": notice_id}


@router.get("/agents/b/{tenant_id}/privacy-requests", response_class=HTMLResponse)
async def page(
    page: PageDep, agents: AgentsDep, notices: NoticesDep, login: LoginDep, tenant_id: str
) -> Response:
    found = await notices.of(login.account, tenant_id)
    role = await agents.tenants.role(login.account, tenant_id, "calls.read")
    context = {
        "tenant_id": tenant_id,
        "business": await agents.business_name(tenant_id),
        "notices": found,
        "can": PERMISSIONS[role],
        "csrf": login.session.csrf,
    }
    return page.render("privacy_requests", context)


@router.post(
    "/agents/b/{tenant_id}/privacy-requests/{notice_id}/acknowledge", include_in_schema=False
)
async def acknowledge_form(
    page: PageDep,
    notices: NoticesDep,
    login: LoginDep,
    tenant_id: str,
    notice_id: str,
    csrf: Csrf,
) -> Response:
    async def act() -> Response:
        await notices.acknowledge(login.account, tenant_id, notice_id[:32])
        return see_other(f"/agents/b/{tenant_id}/privacy-requests")

    return await submit(page.request, csrf, login, act, unshown)
