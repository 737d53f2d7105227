"""A business's members on the web: inviting an address (the JSON API and the business page's
form), the pending invitations and their cancelling, and the invitee's page to accept or decline.

Adding a member only ever sends an invitation, and the answer is the same whatever the address
("invitation sent"); the membership exists once the account with that address accepts.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ringfence.errors import InvalidInput, RingfenceError
from ringfence.http.deps import CsrfHeader, LoginDep, MaybeLoginDep, check_csrf_header
from ringfence.http.forms import see_other, submit
from ringfence.services.agents.web.deps import (
    Csrf,
    InvitationsDep,
    PageDep,
)
from ringfence.services.agents.web.pages import BusinessPageDep
from ringfence.tenants.models import INVITATION_DAYS

router = APIRouter(tags=["agents"])
pages = APIRouter(include_in_schema=False)
SENT = {
    "invitation": "sent",
    "message": "If the address can receive mail, an invitation is on its way; the person becomes "
    f"a member when they accept it (within {INVITATION_DAYS} days).",
}


class MemberIn(BaseModel):
    email: str = Field(max_length=254)
    role: str = Field(max_length=16, description="owner, admin, agent-editor, analyst, viewer")


class AnswerIn(BaseModel):
    token: str = Field(max_length=4096, description="The token of the invitation's link.")


# -- the JSON API ------------------------------------------------------------------------------


@router.post("/api/tenants/{tenant_id}/members", status_code=202)
async def invite_member(
    invitations: InvitationsDep,
    login: LoginDep,
    tenant_id: str,
    body: MemberIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, str]:
    """Invite an address to the business in a role: the same answer for any address."""
    account = check_csrf_header(login, x_csrf_token)
    await invitations.invite(account, tenant_id, body.email, body.role)
    return SENT


@router.get("/api/tenants/{tenant_id}/invitations")
async def pending_invitations(
    invitations: InvitationsDep, login: LoginDep, tenant_id: str
) -> dict[str, Any]:
    """The invitations not yet answered: the address masked, the role, when it ends."""
    return {"invitations": await invitations.pending(login.account, tenant_id)}


@router.delete("/api/tenants/{tenant_id}/invitations/{invitation_id}")
async def cancel_invitation(
    invitations: InvitationsDep,
    login: LoginDep,
    tenant_id: str,
    invitation_id: str,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, str]:
    """Cancel a pending invitation: its link opens nothing any more."""
    account = check_csrf_header(login, x_csrf_token)
    await invitations.cancel(account, tenant_id, invitation_id)
    return {"cancelled": invitation_id}


@router.post("/api/invitations/accept")
async def accept_invitation(
    invitations: InvitationsDep, login: LoginDep, body: AnswerIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, str]:
    """Accept an invitation sent to your account's address: you become a member."""
    account = check_csrf_header(login, x_csrf_token)
    tenant = await invitations.answer(account, body.token, accept=True)
    return {"tenant": tenant, "answer": "accepted"}


@router.post("/api/invitations/decline")
async def decline_invitation(
    invitations: InvitationsDep, login: LoginDep, body: AnswerIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, str]:
    """Decline an invitation sent to your account's address: nothing changes."""
    account = check_csrf_header(login, x_csrf_token)
    await invitations.answer(account, body.token, accept=False)
    return {"answer": "declined"}


# -- the pages ---------------------------------------------------------------------------------


@pages.post("/agents/b/{tenant_id}/members")
async def new_member(
    business: BusinessPageDep,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    email: Annotated[str, Form(max_length=254)],
    role: Annotated[str, Form(max_length=16)],
) -> Response:
    async def invite() -> Response:
        await business.invitations.invite(login.account, tenant_id, email, role)
        return see_other(f"/agents/b/{tenant_id}#invitations")

    return await submit(
        business.page.request,
        csrf,
        login,
        invite,
        lambda refused: business.render(login, tenant_id, refused),
    )


@pages.post("/agents/b/{tenant_id}/invitations/{invitation_id}/cancel")
async def cancel(
    business: BusinessPageDep,
    login: LoginDep,
    tenant_id: str,
    invitation_id: str,
    csrf: Csrf,
) -> Response:
    async def drop() -> Response:
        await business.invitations.cancel(login.account, tenant_id, invitation_id)
        return see_other(f"/agents/b/{tenant_id}#invitations")

    return await submit(
        business.page.request,
        csrf,
        login,
        drop,
        lambda refused: business.render(login, tenant_id, refused),
    )


@pages.get("/agents/invitation", response_class=HTMLResponse)
async def invitation(
    page: PageDep, invitations: InvitationsDep, login: MaybeLoginDep, token: str = ""
) -> Response:
    """The invitee's page: which business, which role, accept or decline. Signed out, it says to
    sign in (or sign up and confirm the address) and open the link again."""
    if login is None:
        return page.render("invitation", {"signed_out": True})
    shown = await invitations.show(login.account, token[:4096])
    context = {"invited": shown, "token": token, "csrf": login.session.csrf}
    return page.render("invitation", context)


@pages.post("/agents/invitation")
async def answer(
    page: PageDep,
    invitations: InvitationsDep,
    login: LoginDep,
    csrf: Csrf,
    token: Annotated[str, Form(max_length=4096)],
    choice: Annotated[str, Form(max_length=8)],
) -> Response:
    async def act() -> Response:
        if choice not in ("accept", "decline"):
            raise InvalidInput("choose accept or decline")
        accept = choice == "accept"
        tenant = await invitations.answer(login.account, token, accept=accept)
        return see_other(f"/agents/b/{tenant}" if accept else "/agents")

    async def again(refused: RingfenceError) -> Response:
        return page.render("invitation", {"gone": True}, refused)

    return await submit(page.request, csrf, login, act, again)
