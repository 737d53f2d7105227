"""Account pages: sign up, verify, log in, log out (here or everywhere), reset the password,
two-step sign-in, delete the account. Server-rendered forms, each with a CSRF token: before
login a double-submit cookie, after it the session's own token."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from ringfence.accounts.service import Unverified
from ringfence.errors import RingfenceError
from ringfence.http import cookies, deps
from ringfence.http.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    LoginDep,
    accounts,
    check_csrf,
    client_ip,
    current,
)

router = APIRouter(include_in_schema=False)


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates = deps.templates(request)
    token = cookies.read(request, CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        f"accounts/{name}.html",
        {
            "title": "account",
            "csrf": context.pop("csrf", token),
            "mail": accounts(request).mailer.backend,  # where account e-mails go: smtp | outbox
            **context,
        },
        status_code=status,
    )
    if not cookies.read(request, CSRF_COOKIE):
        cookies.write(response, request, CSRF_COOKIE, token, samesite="strict")
    return response


def _error(request: Request, name: str, exc: RingfenceError, **context: Any) -> Response:
    return _page(request, name, {"error": exc.message, **context}, status=exc.http_status)


@router.get("/account/signup", response_class=HTMLResponse)
async def signup_page(request: Request) -> Response:
    return _page(request, "signup", {})


@router.post("/account/signup")
async def signup(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str, Form(max_length=100)],
    adult: Annotated[bool, Form()] = False,
    terms: Annotated[bool, Form()] = False,
) -> Response:
    try:
        check_csrf(request, csrf)
        done = await accounts(request).sign_up(
            email, password, adult=adult, terms=terms, ip=client_ip(request)
        )
    except RingfenceError as exc:
        return _error(request, "signup", exc, email=email)
    return _page(
        request, "sent", {"email": done.email, "why": "confirm your address", "where": done.where}
    )


@router.get("/account/verify", response_class=HTMLResponse)
async def verify(request: Request, token: str = "") -> Response:
    try:
        email = await accounts(request).verify(token[:4096])
    except RingfenceError as exc:
        return _error(request, "login", exc)
    return _page(request, "login", {"notice": "Address confirmed: log in.", "email": email})


@router.get("/account/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    return _page(request, "login", {})


@router.post("/account/login")
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str, Form(max_length=100)],
    code: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        check_csrf(request, csrf)
        done = await accounts(request).log_in(email, password, code or None, client_ip(request))
    except Unverified as exc:
        return _error(request, "login", exc, email=email, resend=exc.resend)
    except RingfenceError as exc:
        return _error(request, "login", exc, email=email, ask_code="code" in exc.message)
    response = RedirectResponse("/account", status_code=303)
    max_age = deps.settings(request).accounts.session_days * 86400
    cookies.write(response, request, SESSION_COOKIE, done.token, max_age=max_age)
    return response


@router.post("/account/verify/again")
async def resend(
    request: Request,
    token: Annotated[str, Form(max_length=4096)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    """Send the confirmation link again (the button a sign-in of an unconfirmed account shows)."""
    try:
        check_csrf(request, csrf)
        where = await accounts(request).resend(token, client_ip(request))
    except RingfenceError as exc:
        return _error(request, "login", exc)
    return _page(request, "sent", {"why": "confirm your address", "where": where, "again": True})


@router.get("/account", response_class=HTMLResponse)
async def settings_page(request: Request) -> Response:
    found = await current(request)
    if found is None:
        return RedirectResponse("/account/login", status_code=303)
    account, session = found.account, found.session
    return _page(
        request,
        "settings",
        {
            "account": account,
            "email": found.email,
            "csrf": session.csrf,
            "totp": account.totp_secret is not None,
        },
    )


@router.post("/account/logout")
async def logout(
    request: Request, login: LoginDep, csrf: Annotated[str, Form(max_length=100)]
) -> Response:
    check_csrf(request, csrf, login)
    await accounts(request).log_out(cookies.read(request, SESSION_COOKIE))
    response = RedirectResponse("/account/login", status_code=303)
    cookies.delete(response, request, SESSION_COOKIE)
    return response


@router.post("/account/logout-everywhere")
async def logout_everywhere(
    request: Request, login: LoginDep, csrf: Annotated[str, Form(max_length=100)]
) -> Response:
    check_csrf(request, csrf, login)
    await accounts(request).log_out_everywhere(login.account.id)
    response = RedirectResponse("/account/login", status_code=303)
    cookies.delete(response, request, SESSION_COOKIE)
    return response


@router.get("/account/reset", response_class=HTMLResponse)
async def reset_page(request: Request) -> Response:
    return _page(request, "reset", {})


@router.post("/account/reset")
async def reset_request(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    try:
        check_csrf(request, csrf)
        await accounts(request).request_reset(email)
    except RingfenceError as exc:
        return _error(request, "reset", exc, email=email)
    where = accounts(request).mailer.backend
    return _page(request, "sent", {"email": email, "why": "choose a new password", "where": where})


@router.get("/account/reset/new", response_class=HTMLResponse)
async def new_password_page(request: Request, token: str = "") -> Response:
    return _page(request, "new_password", {"token": token[:4096]})


@router.post("/account/reset/new")
async def new_password(
    request: Request,
    token: Annotated[str, Form(max_length=4096)],
    password: Annotated[str, Form(max_length=256)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    try:
        check_csrf(request, csrf)
        email = await accounts(request).reset(token, password)
    except RingfenceError as exc:
        return _error(request, "new_password", exc, token=token)
    notice = "Password changed and every device signed out: log in."
    return _page(request, "login", {"notice": notice, "email": email})


@router.post("/account/totp")
async def totp_start(
    request: Request, login: LoginDep, csrf: Annotated[str, Form(max_length=100)]
) -> Response:
    check_csrf(request, csrf, login)
    offer = accounts(request).totp_offer(login)
    context = {"csrf": login.session.csrf, "secret": offer.secret, "uri": offer.uri}
    context["token"] = offer.token
    return _page(request, "totp", context)


@router.post("/account/totp/confirm")
async def totp_confirm(
    request: Request,
    login: LoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    token: Annotated[str, Form(max_length=4096)],
    code: Annotated[str, Form(max_length=10)],
) -> Response:
    check_csrf(request, csrf, login)
    try:
        await accounts(request).totp_enable(login.account, token, code)
    except RingfenceError as exc:
        context = {"csrf": login.session.csrf, "token": token, "secret": "", "uri": ""}
        return _error(request, "totp", exc, **context)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/totp/disable")
async def totp_disable(
    request: Request,
    login: LoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    code: Annotated[str, Form(max_length=10)],
) -> Response:
    check_csrf(request, csrf, login)
    await accounts(request).totp_disable(login.account, code)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/delete")
async def delete_account(
    request: Request,
    login: LoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    check_csrf(request, csrf, login)
    try:
        actions = await accounts(request).delete(login.account, password)
    except RingfenceError as exc:
        context = {
            "account": login.account,
            "email": login.email,
            "csrf": login.session.csrf,
            "totp": login.account.totp_secret is not None,
        }
        return _error(request, "settings", exc, **context)
    request.state.login = None  # the page that says so is no longer signed in
    titles = {c.name: c.title for c in deps.privacy(request).inventory}
    response = _page(request, "deleted", {"actions": actions, "titles": titles})
    cookies.delete(response, request, SESSION_COOKIE)
    return response
