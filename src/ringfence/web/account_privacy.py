"""A signed-in person's privacy requests act on their account: everything linked to it (the
inventory's categories holding the account's reference, and the numbers it proved it answers),
across every installed service. The requests page shows these forms when signed in; the JSON
API (``POST /privacy/requests``) does the same with the session's ``X-CSRF-Token``.

Each request is recorded, answered at once and signed like an anonymous visitor's, its receipt
kept in the same cookie; an erasure asks for the password again. The e-mail address, which signs
the person in, changes only once the new address proves it is theirs (``/account/email``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from ringfence import humanize
from ringfence.abuse.limits import Limit, RateLimiter
from ringfence.accounts.email_change import EmailChanges
from ringfence.accounts.passwords import verify_password
from ringfence.accounts.service import Login
from ringfence.errors import Forbidden, InvalidInput, RingfenceError
from ringfence.http import cookies, deps
from ringfence.http.deps import SESSION_COOKIE, LoginDep, current
from ringfence.http.forms import see_other, submit
from ringfence.http.instances import per_app
from ringfence.http.visitors import set_cookie
from ringfence.privacy import policy
from ringfence.privacy.rights import KINDS, Submitted
from ringfence.privacy.subjects import keyed_ref
from ringfence.tenants.lifecycle import refuse_sole_owner, sole_owned
from ringfence.web.export_summary import summarise

router = APIRouter(include_in_schema=False)
RECEIPTS_COOKIE = "rf_receipts"
MAX_RECEIPTS = 20
REQUESTS_PER_HOUR = 30  # an account's privacy requests (an export reads every table)
SIMPLE = (
    "restrict",
    "object",
    "lift_restriction",
    "withdraw_consent",
)  # one button each, no details


def receipt_tokens(request: Request) -> list[str]:
    raw = cookies.read(request, RECEIPTS_COOKIE)
    return [item for item in raw.split(".") if ":" in item][-MAX_RECEIPTS:]


def keep_receipt(request: Request, response: Response, submitted: Submitted) -> None:
    """The receipt's token in the browser's own cookie (the only way to fetch it later)."""
    tokens = [*receipt_tokens(request), f"{submitted.request.id}:{submitted.token}"]
    set_cookie(response, request, RECEIPTS_COOKIE, ".".join(tokens[-MAX_RECEIPTS:]))


def email_changes(request: Request) -> EmailChanges:
    return per_app(request, EmailChanges, lambda s: EmailChanges(deps.accounts(request)))


async def act(
    request: Request, login: Login, kind: str, payload: dict[str, Any] | None = None
) -> tuple[Submitted, dict[str, Any]]:
    """Record the account's request, answer it at once; the request and its answer. An erasure
    is refused, before anything is recorded, while the account alone owns an open business: its
    members and callers would be left with a business nobody can run or close, so the owner
    hands it over or closes it first (the same guard as ``/account/delete``)."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown request {kind!r}; accepted: {', '.join(KINDS)}")
    privacy = deps.privacy(request)
    ref = login.account.subject_ref
    limiter = RateLimiter(privacy.clock)
    limit = [
        Limit(
            "privacy.account_requests",
            keyed_ref(ref, deps.settings(request).signing_key()),
            REQUESTS_PER_HOUR,
            3600,
            "many privacy requests were made for this account in the last hour",
        )
    ]
    async with privacy.db.session() as session:
        await limiter.check(session, limit)
        limiter.hit(session, limit)
    async with privacy.db.session() as session:
        if kind == "erase":
            refuse_sole_owner(await sole_owned(session, login.account.id))
        stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
        rights = privacy.rights(stamp.version)
        submitted = await rights.submit(
            session, kind, ref, verified_via="account_session", payload=payload
        )
        answer = await rights.fulfil(session, submitted.request.id)
    return submitted, answer


async def erase(request: Request, login: Login, password: str) -> tuple[Submitted, dict[str, Any]]:
    """Erase the account and everything linked to it, once the password is given again."""
    if not await verify_password(login.account.password_hash, password):
        raise Forbidden("wrong password")
    return await act(request, login, "erase")


def signed_out(request: Request, response: Response) -> None:
    """After an erasure: the session went with the account; so does its cookie."""
    request.state.login = None
    cookies.delete(response, request, SESSION_COOKIE)


async def page_context(request: Request, login: Login) -> dict[str, Any]:
    """What the requests page shows a signed-in person: the fields they may correct, now."""
    privacy = deps.privacy(request)
    async with privacy.db.session() as session:
        stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
        fields = await privacy.rights(stamp.version).correctable(session, login.account.subject_ref)
    return {
        "account": login.account,
        "email": login.email,
        "csrf": login.session.csrf,
        "correctable": fields,
    }


async def _again(request: Request, login: Login, exc: RingfenceError) -> Response:
    """The requests page again, with what went wrong."""
    context = {
        "title": "Your privacy requests",
        "kinds": KINDS,
        "mine": [item.split(":", 1)[0] for item in receipt_tokens(request)],
        "error": exc.message,
        **await page_context(request, login),
    }
    return deps.templates(request).TemplateResponse(
        request, "privacy/requests.html", context, status_code=exc.http_status
    )


def _to_receipt(request: Request, submitted: Submitted) -> Response:
    response = see_other(f"/privacy/requests/{submitted.request.id}/receipt")
    keep_receipt(request, response, submitted)
    return response


@router.post("/account/privacy/export")
async def export(
    request: Request,
    login: LoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    format: Annotated[str, Form(max_length=8)] = "page",
) -> Response:
    """A copy of everything linked to the account: a page that reads it out, or the JSON."""

    async def work() -> Response:
        submitted, answer = await act(request, login, "access")
        data = answer["export"]
        if format == "json":
            response: Response = JSONResponse(
                data,
                headers={"Content-Disposition": 'attachment; filename="ringfence-export.json"'},
            )
        else:
            locale = humanize.locale_for(request.headers.get("accept-language"))
            inventory = deps.privacy(request).inventory
            context = {
                "title": "Your data",
                "sections": summarise(data, inventory, locale),
                "export": data,
                "request_id": submitted.request.id,
                "csrf": login.session.csrf,
                "holds": {c.name: c.legal_hold for c in inventory if c.legal_hold},
            }
            response = deps.templates(request).TemplateResponse(
                request, "privacy/export.html", context
            )
        keep_receipt(request, response, submitted)
        return response

    return await submit(request, csrf, login, work, lambda e: _again(request, login, e))


@router.post("/account/privacy/rectify")
async def rectify(
    request: Request,
    login: LoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    category: Annotated[str, Form(max_length=80)],
    field: Annotated[str, Form(max_length=80)],
    value: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Correct one field the inventory marks correctable; the receipt says what changed."""

    async def work() -> Response:
        payload = {"category": category, "field": field, "value": value}
        submitted, _ = await act(request, login, "rectify", payload)
        return _to_receipt(request, submitted)

    return await submit(request, csrf, login, work, lambda e: _again(request, login, e))


@router.post("/account/privacy/request")
async def simple_request(
    request: Request,
    login: LoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    kind: Annotated[str, Form(max_length=32)],
) -> Response:
    """Restrict, object, lift them, or withdraw every consent: for the account and what is
    linked to it."""

    async def work() -> Response:
        if kind not in SIMPLE:
            raise InvalidInput(f"choose one of: {', '.join(SIMPLE)}")
        submitted, _ = await act(request, login, kind)
        return _to_receipt(request, submitted)

    return await submit(request, csrf, login, work, lambda e: _again(request, login, e))


@router.post("/account/privacy/erase")
async def erase_account(
    request: Request,
    login: LoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    """Erase the account and everything linked to it; the receipt says what the law keeps."""

    async def work() -> Response:
        submitted, _ = await erase(request, login, password)
        response = _to_receipt(request, submitted)
        signed_out(request, response)
        return response

    try:
        return await submit(request, csrf, login, work, lambda e: _again(request, login, e))
    except Forbidden as exc:
        if exc.message != "wrong password":
            raise
        return await _again(request, login, InvalidInput("wrong password"))


# -- the e-mail address ---------------------------------------------------------------------


def _email_page(request: Request, context: dict[str, Any], status: int = 200) -> Response:
    return deps.templates(request).TemplateResponse(
        request, "accounts/email.html", {"title": "Your e-mail address", **context},
        status_code=status,
    )  # fmt: skip


@router.get("/account/email", response_class=HTMLResponse)
async def email_page(request: Request, login: LoginDep) -> Response:
    return _email_page(request, {"current": login.email, "csrf": login.session.csrf})


@router.post("/account/email")
async def email_change(
    request: Request,
    login: LoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    """Mail a confirmation link to the new address (and a notice to the old one)."""
    context = {"current": login.email, "csrf": login.session.csrf, "email": email}

    async def work() -> Response:
        where = await email_changes(request).ask(login, email, password)
        return _email_page(request, {**context, "sent": where})

    def again(exc: RingfenceError) -> Response:
        return _email_page(request, {**context, "error": exc.message}, exc.http_status)

    try:
        return await submit(request, csrf, login, work, again)
    except Forbidden as exc:
        if exc.message != "wrong password":
            raise
        return again(InvalidInput("wrong password"))


@router.get("/account/email/confirm", response_class=HTMLResponse)
async def email_confirm(request: Request, token: str = "") -> Response:
    """The link from the mail: the address changes now (a page says so, or why not)."""
    try:
        changed = await email_changes(request).confirm(token[:4096])
    except RingfenceError as exc:
        return _email_page(request, {"error": exc.message}, exc.http_status)
    login = await current(request)
    mine = login is not None and login.account.id == changed.account.id
    return _email_page(request, {"changed": changed.email, "signed_in": mine})


def json_answer(submitted: Submitted, kind: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The JSON API's answer to a request (the same for an account as for a visitor)."""
    return {
        "request": submitted.request.id,
        "kind": kind,
        "acknowledge_by": submitted.request.acknowledge_by.isoformat(),
        "answer_by": submitted.request.answer_by.isoformat(),
        **answer,
    }


async def api_request(
    request: Request, login: Login, kind: str, payload: dict[str, Any], csrf_header: str
) -> Response:
    """``POST /privacy/requests`` for a signed-in account (CSRF in ``X-CSRF-Token``); an
    erasure carries ``payload.password``, which is checked and never stored."""
    deps.check_csrf_header(login, csrf_header)
    if kind == "erase":
        password = payload.get("password")
        submitted, answer = await erase(request, login, str(password or ""))
    else:
        submitted, answer = await act(request, login, kind, payload)
    response = JSONResponse(json_answer(submitted, kind, answer))
    keep_receipt(request, response, submitted)
    if kind == "erase":
        signed_out(request, response)
    return response
