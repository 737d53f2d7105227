"""Privacy choices: the page every footer links to, where a visitor changes what they agreed to.

``/privacy/choices`` shows the optional purposes (``privacy.consent.PURPOSES``) and the CPRA
choice to limit the use of sensitive personal information (``SENSITIVE_USES``), for this browser,
the signed-in account and, if given, a phone number (kept only as ``subjects.phone_ref``). Saving
records the choices (method ``manage``); withdrawing a purpose deletes the cookies of every
category it covered (``Category.cookies``) in the same response, so what the consent allowed
stops with it. Global Privacy Control keeps optional cookies off whatever the form says.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.accounts.service import Login
from ringfence.errors import RingfenceError
from ringfence.http import cookies, deps
from ringfence.http.deps import CSRF_COOKIE, MaybeLoginDep, check_csrf
from ringfence.http.forms import see_other
from ringfence.http.visitors import YEAR, anon_id, set_cookie
from ringfence.privacy import policy
from ringfence.privacy.consent import PURPOSES, SENSITIVE_USE, SENSITIVE_USES
from ringfence.privacy.inventory import Inventory
from ringfence.privacy.subjects import ANON_COOKIE, anon_ref, phone_ref
from ringfence.telephony.dialing import parse

router = APIRouter(include_in_schema=False)
CONSENT_COOKIE = "rf_consent"
PATH = "/privacy/choices"


def write_consent(
    response: Response, request: Request, inventory: Inventory, state: dict[str, bool]
) -> list[str]:
    """Keep the choice in the consent cookie and delete the cookies of every purpose now off;
    the names of the cookies deleted."""
    # Readable by the page's script (not HttpOnly) so it knows whether it may set its cookies:
    # "purpose:0|1" pairs joined by dots, characters a cookie value carries unquoted.
    value = ".".join(f"{p}:{int(v)}" for p, v in sorted(state.items()))
    cookies.write(response, request, CONSENT_COOKIE, value, max_age=YEAR, httponly=False)
    return delete_covered(response, request, inventory, state)


def delete_covered(
    response: Response, request: Request, inventory: Inventory, state: dict[str, bool]
) -> list[str]:
    """Expire, on the visitor's device, the cookies of every category whose consent is off in
    ``state``; the names of the cookies deleted. Each is expired whether this request carried
    it or not: a cookie set for another path (``/ring``) never reaches this one."""
    deleted = []
    for category in inventory:
        if category.consent_purpose and not state.get(category.consent_purpose, False):
            for name, path in category.cookies:
                response.delete_cookie(name, path=path, secure=cookies.is_https(request))
                deleted.append(name)
    return deleted


@router.get(PATH, response_class=HTMLResponse)
async def choices_page(request: Request, login: MaybeLoginDep, saved: str = "") -> Response:
    return await _page(request, login, saved=saved == "1")


async def _page(
    request: Request,
    login: Login | None,
    *,
    saved: bool = False,
    error: str = "",
    phone: str = "",
    typed: dict[str, bool] | None = None,
    status: int = 200,
) -> Response:
    """The page; on a refusal, the choices as ``typed`` instead of those on record."""
    privacy = deps.privacy(request)
    refs = _refs(request, login)
    async with privacy.db.session() as session:
        current: dict[str, bool] = {}
        for ref in refs:  # the browser's choice first, the account's over it
            found = await privacy.consents.current(session, ref)
            current |= {purpose: record.granted for purpose, record in found.items()}
        limited = await privacy.consents.limited(session, refs)
    if typed is not None:
        current, limited = {"preferences": typed["preferences"]}, typed["limited"]
    token = cookies.read(request, CSRF_COOKIE) or secrets.token_urlsafe(24)
    context = {
        "title": "Privacy choices",
        "purposes": PURPOSES,
        "sensitive": SENSITIVE_USES[SENSITIVE_USE],
        "current": current,
        "limited": limited,
        "gpc": request.state.gpc,
        "csrf": login.session.csrf if login is not None else token,
        "saved": saved,
        "error": error,
        "phone": phone,
        "covered": [c for c in privacy.inventory if c.consent_purpose and c.cookies],
    }
    response = deps.templates(request).TemplateResponse(
        request, "privacy/choices.html", context, status_code=status
    )
    if login is None and not cookies.read(request, CSRF_COOKIE):
        cookies.write(response, request, CSRF_COOKIE, token, samesite="strict")
    return response


def _refs(request: Request, login: Login | None) -> list[str]:
    refs = []
    try:
        refs.append(anon_ref(cookies.read(request, ANON_COOKIE)))
    except RingfenceError:
        pass  # no choice made from this browser yet
    if login is not None:
        refs.append(login.account.subject_ref)
    return refs


@router.post(PATH)
async def save_choices(
    request: Request,
    login: MaybeLoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    preferences: Annotated[str, Form(max_length=8)] = "",
    limit_sensitive: Annotated[str, Form(max_length=8)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    check_csrf(request, csrf, login)
    privacy = deps.privacy(request)
    phone_subject = ""
    if phone.strip():
        try:
            number = parse(phone, None)
        except RingfenceError as exc:
            typed = {"preferences": bool(preferences), "limited": bool(limit_sensitive)}
            return await _page(request, login, error=exc.message, phone=phone, typed=typed,
                               status=exc.http_status)  # fmt: skip
        phone_subject = phone_ref(number.e164, deps.settings(request).signing_key())
    gpc = bool(request.state.gpc)
    state = {p: False for p in PURPOSES}
    state["preferences"] = bool(preferences) and not gpc
    sensitive = {SENSITIVE_USE: not limit_sensitive}
    visitor = anon_id(request).value
    async with privacy.db.session() as session:
        stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
        # The browser's choices; the account's and the number's limit, when there are.
        wanted = [(anon_ref(visitor), {**state, **sensitive})]
        for ref in (login.account.subject_ref if login else "", phone_subject):
            if ref:
                wanted.append((ref, sensitive))
        for ref, choices in wanted:
            await privacy.consents.record(
                session,
                ref,
                choices,
                method="gpc" if gpc and "preferences" in choices else "manage",
                service="platform",
                policy_version=stamp.version,
            )
    response = see_other(PATH + "?saved=1")
    set_cookie(response, request, ANON_COOKIE, visitor)
    write_consent(response, request, privacy.inventory, state)
    return response
