"""A business's members leaving or removed, and its closure, on the web: the JSON API and the
business page's forms (``tenants.lifecycle`` decides; these only translate)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response
from pydantic import BaseModel, Field

from ringfence.http.deps import AccountsDep, CsrfHeader, LoginDep, check_csrf_header
from ringfence.http.forms import see_other, submit
from ringfence.services.agents.web.deps import Csrf, LifecycleDep
from ringfence.services.agents.web.pages import BusinessPageDep

router = APIRouter(tags=["agents"])
pages = APIRouter(include_in_schema=False)


class CloseIn(BaseModel):
    confirm: str = Field(max_length=120, description="The business's name, typed to confirm.")


# -- the JSON API ------------------------------------------------------------------------------


@router.get("/api/tenants/{tenant_id}/members")
async def members(
    lifecycle: LifecycleDep, accounts: AccountsDep, login: LoginDep, tenant_id: str
) -> dict[str, Any]:
    """The members (id, e-mail, role), for a member who may manage members."""
    found = await lifecycle.tenants.members(login.account, tenant_id, accounts.addresses)
    return {"members": found}


@router.delete("/api/tenants/{tenant_id}/members/{member_id}")
async def remove_member(
    lifecycle: LifecycleDep,
    login: LoginDep,
    tenant_id: str,
    member_id: str,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, str]:
    """Remove another member (an owner only by an owner); the last owner is never removed."""
    account = check_csrf_header(login, x_csrf_token)
    await lifecycle.remove_member(account, tenant_id, member_id)
    return {"removed": member_id}


@router.post("/api/tenants/{tenant_id}/leave")
async def leave(
    lifecycle: LifecycleDep, login: LoginDep, tenant_id: str, x_csrf_token: CsrfHeader = ""
) -> dict[str, str]:
    """Leave the business (its last owner cannot: hand it over or close it first)."""
    account = check_csrf_header(login, x_csrf_token)
    await lifecycle.leave(account, tenant_id)
    return {"left": tenant_id}


@router.post("/api/tenants/{tenant_id}/close")
async def close(
    lifecycle: LifecycleDep,
    login: LoginDep,
    tenant_id: str,
    body: CloseIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, str]:
    """Close the business (owners): its agents stop at once; its data is deleted at
    ``purge_at``."""
    account = check_csrf_header(login, x_csrf_token)
    tenant = await lifecycle.close(account, tenant_id, body.confirm)
    assert tenant.closed_at is not None and tenant.purge_at is not None
    return {"closed_at": tenant.closed_at.isoformat(), "purge_at": tenant.purge_at.isoformat()}


# -- the pages ---------------------------------------------------------------------------------


@pages.post("/agents/b/{tenant_id}/members/{member_id}/remove")
async def remove(
    business: BusinessPageDep,
    lifecycle: LifecycleDep,
    login: LoginDep,
    tenant_id: str,
    member_id: str,
    csrf: Csrf,
) -> Response:
    async def act() -> Response:
        await lifecycle.remove_member(login.account, tenant_id, member_id)
        return see_other(f"/agents/b/{tenant_id}#members")

    return await submit(
        business.page.request,
        csrf,
        login,
        act,
        lambda refused: business.render(login, tenant_id, refused),
    )


@pages.post("/agents/b/{tenant_id}/leave")
async def leave_page(
    business: BusinessPageDep, lifecycle: LifecycleDep, login: LoginDep, tenant_id: str, csrf: Csrf
) -> Response:
    async def act() -> Response:
        await lifecycle.leave(login.account, tenant_id)
        return see_other("/agents")

    return await submit(
        business.page.request,
        csrf,
        login,
        act,
        lambda refused: business.render(login, tenant_id, refused),
    )


@pages.post("/agents/b/{tenant_id}/close")
async def close_page(
    business: BusinessPageDep,
    lifecycle: LifecycleDep,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    confirm: Annotated[str, Form(max_length=120)],
) -> Response:
    async def act() -> Response:
        await lifecycle.close(login.account, tenant_id, confirm)
        return see_other(f"/agents/b/{tenant_id}")

    return await submit(
        business.page.request,
        csrf,
        login,
        act,
        lambda refused: business.render(login, tenant_id, refused),
    )
