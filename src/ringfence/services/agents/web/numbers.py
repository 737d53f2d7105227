"""HTTP edge of a business's verified numbers (``tenants.numbers``): list them, prove one (a code
to show, then a call that asks for it on the keypad), follow the call, remove one. The JSON API
under ``/api/tenants/{tenant_id}/numbers`` and the same flow as form posts on the business page.
A removed number stops routing calls to the business's agent at once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response
from pydantic import BaseModel, Field

from ringfence.http.deps import CsrfHeader, LoginDep, check_csrf_header
from ringfence.http.forms import see_other, submit
from ringfence.services.agents.web.deps import (
    AgentsDep,
    Csrf,
    NumbersDep,
    PageDep,
)
from ringfence.services.agents.web.pages import BusinessPageDep, unshown
from ringfence.tenants.numbers import BusinessNumber

router = APIRouter(tags=["agents"])


class NumberIn(BaseModel):
    number: str = Field(min_length=3, max_length=32, description="The number, as written.")
    country: str | None = Field(
        None, min_length=2, max_length=2, description="ISO country when the number is national."
    )


class TokenIn(BaseModel):
    token: str = Field(min_length=10, max_length=1000, description="The sealed token of the offer.")


def _number(found: BusinessNumber) -> dict[str, str]:
    return {
        "id": found.id,
        "number": found.number,
        "verified_at": found.verified_at.isoformat(timespec="seconds"),
    }


@router.get("/api/tenants/{tenant_id}/numbers")
async def list_numbers(numbers: NumbersDep, login: LoginDep, tenant_id: str) -> dict[str, Any]:
    """The numbers the business proved it controls: its agents answer and show only these."""
    return {"numbers": [_number(n) for n in await numbers.list(login.account, tenant_id)]}


@router.post("/api/tenants/{tenant_id}/numbers")
async def offer_number(
    numbers: NumbersDep,
    login: LoginDep,
    tenant_id: str,
    body: NumberIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, str]:
    """A code to show and a sealed token: ``POST .../numbers/call`` with the token then calls
    the number, and typing the code on its keypad makes it the business's."""
    account = check_csrf_header(login, x_csrf_token)
    offer = await numbers.offer(account, tenant_id, body.number, body.country)
    return {"token": offer.token, "code": offer.code, "number": offer.number}


@router.post("/api/tenants/{tenant_id}/numbers/call", status_code=202)
async def call_number(
    numbers: NumbersDep,
    login: LoginDep,
    tenant_id: str,
    body: TokenIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, str]:
    """Place the call that asks for the code (once per token); its id for ``.../calls/{id}``."""
    account = check_csrf_header(login, x_csrf_token)
    return {"id": await numbers.call(account, tenant_id, body.token)}


@router.get("/api/tenants/{tenant_id}/numbers/calls/{call_id}")
async def number_call(
    numbers: NumbersDep, login: LoginDep, tenant_id: str, call_id: str
) -> dict[str, Any]:
    """The proving call's steps so far (dialling, ringing, answered, ended with its outcome)."""
    progress = numbers.watch(login.account, tenant_id, call_id)
    return {"id": call_id, "steps": list(progress.steps), "finished": progress.finished}


@router.delete("/api/tenants/{tenant_id}/numbers/{number_id}")
async def remove_number(
    numbers: NumbersDep,
    agents: AgentsDep,
    login: LoginDep,
    tenant_id: str,
    number_id: str,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, str]:
    """Forget a number: no agent answers it and no call shows it any more."""
    account = check_csrf_header(login, x_csrf_token)
    e164 = await numbers.remove(account, tenant_id, number_id)
    await agents.unroute(tenant_id, e164)
    return {"removed": number_id}


# -- the business page's forms ----------------------------------------------------------------


@router.post("/agents/b/{tenant_id}/numbers", include_in_schema=False)
async def offer_number_form(
    business: BusinessPageDep,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    number: Annotated[str, Form(max_length=32)],
    country: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    async def offer() -> Response:
        made = await business.numbers.offer(login.account, tenant_id, number, country or None)
        return await business.render(login, tenant_id, offer=made)

    return await submit(
        business.page.request,
        csrf,
        login,
        offer,
        lambda refused: business.render(login, tenant_id, refused),
    )


@router.post("/agents/b/{tenant_id}/numbers/call", include_in_schema=False)
async def call_number_form(
    business: BusinessPageDep,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    token: Annotated[str, Form(max_length=1000)],
) -> Response:
    async def call() -> Response:
        call_id = await business.numbers.call(login.account, tenant_id, token)
        return see_other(f"/agents/b/{tenant_id}?verifying={call_id}")

    return await submit(
        business.page.request,
        csrf,
        login,
        call,
        lambda refused: business.render(login, tenant_id, refused),
    )


@router.post("/agents/b/{tenant_id}/numbers/{number_id}/remove", include_in_schema=False)
async def remove_number_form(
    page: PageDep,
    agents: AgentsDep,
    numbers: NumbersDep,
    login: LoginDep,
    tenant_id: str,
    number_id: str,
    csrf: Csrf,
) -> Response:
    async def remove() -> Response:
        e164 = await numbers.remove(login.account, tenant_id, number_id)
        await agents.unroute(tenant_id, e164)
        return see_other(f"/agents/b/{tenant_id}")

    return await submit(page.request, csrf, login, remove, unshown)
