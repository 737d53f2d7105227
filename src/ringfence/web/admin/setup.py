"""``/admin/setup``: the first-run page that makes the installation's first operator.

It exists only while there is no operator (afterwards: 404), and only for someone who is
plainly the server's own administrator. A fresh install may already be reachable from the
internet, and whoever reaches this page first would run the installation; so the page answers
only a request from this machine itself (``http.deps.is_local``: a loopback peer that is not a
proxy relaying someone else), or, when ``RINGFENCE_WEB__OPERATOR_TOKEN`` is set, a form that
carries that token (compared in constant time). Anyone else is told to run ``ringfence admin
create`` on the server or to set the token. The check that no operator exists is made again
in the transaction that creates the account, so two set-ups at once make one operator.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.errors import NotFound, RingfenceError
from ringfence.http import cookies, deps
from ringfence.http.deps import CSRF_COOKIE, SESSION_COOKIE, OperatorsDep, check_csrf
from ringfence.http.forms import see_other

router = APIRouter(include_in_schema=False)
REFUSED = (
    "The first operator can be set up here only from the server itself (http://127.0.0.1), "
    "or with the operator token (RINGFENCE_WEB__OPERATOR_TOKEN). On the server, run: "
    "ringfence admin create YOUR@ADDRESS"
)


def _token_matches(request: Request, sent: str) -> bool:
    token = deps.settings(request).web.operator_token
    if token is None or not sent:
        return False
    return secrets.compare_digest(sent.encode(), token.get_secret_value().encode())


def _page(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    token = cookies.read(request, CSRF_COOKIE) or secrets.token_urlsafe(24)
    local = deps.is_local(request)
    asks_token = not local and deps.settings(request).web.operator_token is not None
    response = deps.templates(request).TemplateResponse(
        request,
        "admin/setup.html",
        {
            "title": "set up ringfence",
            "csrf": token,
            "asks_token": asks_token,
            "refused": None if local or asks_token else REFUSED,
            **context,
        },
        status_code=status,
    )
    if not cookies.read(request, CSRF_COOKIE):
        cookies.write(response, request, CSRF_COOKIE, token, samesite="strict")
    return response


@router.get("/admin/setup", response_class=HTMLResponse)
async def setup_page(request: Request, operators: OperatorsDep) -> Response:
    if await operators.exist():
        raise NotFound("Not Found")
    page = _page(request, {})
    if not deps.is_local(request) and deps.settings(request).web.operator_token is None:
        page.status_code = 403
    return page


@router.post("/admin/setup")
async def set_up(
    request: Request,
    operators: OperatorsDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str, Form(max_length=100)],
    token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if await operators.exist():
        raise NotFound("Not Found")
    check_csrf(request, csrf)
    if not (deps.is_local(request) or _token_matches(request, token)):
        wrong = "that is not the operator token" if token else REFUSED
        return _page(request, {"error": wrong, "email": email}, status=403)
    try:
        await operators.create(email, password, via="setup", only_first=True)
        done = await deps.accounts(request).log_in(email, password, None, deps.client_ip(request))
    except RingfenceError as exc:
        return _page(request, {"error": exc.message, "email": email}, status=exc.http_status)
    response = see_other("/admin")
    max_age = deps.settings(request).accounts.session_days * 86400
    cookies.write(response, request, SESSION_COOKIE, done.token, max_age=max_age)
    return response
