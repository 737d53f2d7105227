"""Typed request dependencies: a handler names what it needs (``login: LoginDep``,
``settings: SettingsDep``) and FastAPI hands it over. The core's parts live on ``app.state``,
set once by ``ringfence.web.app.create_app``; this is the one module that reads them."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Header, Request
from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates

from ringfence.abuse import geo
from ringfence.accounts.callerids import CallerIds
from ringfence.accounts.models import OPERATOR, Account
from ringfence.accounts.operators import Operators
from ringfence.accounts.service import Accounts, Login
from ringfence.clock import Clock
from ringfence.errors import Forbidden, NotFound
from ringfence.http import cookies
from ringfence.http.instances import per_app
from ringfence.jobs import JobQueue
from ringfence.privacy.core import Privacy
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.telephony import TelephonyEngine

if TYPE_CHECKING:  # the test phone brings WebRTC; a route that has one loaded it already
    from ringfence.telephony.testphone import TestPhone

SESSION_COOKIE = "rf_session"
CSRF_COOKIE = "rf_csrf"


def settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


def privacy(request: Request) -> Privacy:
    found: Privacy = request.app.state.privacy
    return found


def database(request: Request) -> Database:
    found: Database = request.app.state.db
    return found


def clock(request: Request) -> Clock:
    return privacy(request).clock


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.templates
    return found


def accounts(request: Request) -> Accounts:
    def make(state: Any) -> Accounts:
        made = Accounts(state.settings, state.privacy)
        state.closers.append(made.close)  # mails still going out when the app stops
        return made

    return per_app(request, Accounts, make)


def operators(request: Request) -> Operators:
    return per_app(request, Operators, lambda s: accounts(request).operators())


def telephony(request: Request) -> TelephonyEngine | None:
    """The app's SIP engine, when telephony is enabled and started."""
    found: TelephonyEngine | None = request.app.state.telephony
    return found


def queue(request: Request) -> JobQueue:
    found: JobQueue = request.app.state.queue
    return found


def caller_ids(request: Request) -> CallerIds:
    return per_app(request, CallerIds, lambda s: CallerIds(s.privacy))


async def current(request: Request) -> Login | None:
    """The signed-in account and session of the request's cookie, if any: looked up once per
    request and kept on ``request.state.login``, where the page layout reads it."""
    if hasattr(request.state, "login"):
        known: Login | None = request.state.login
        return known
    found = await accounts(request).session(cookies.read(request, SESSION_COOKIE))
    request.state.login = found
    return found


async def require_login(request: Request) -> Login:
    found = await current(request)
    if found is None:
        raise Forbidden("log in first")
    return found


async def require_operator_login(request: Request) -> Login:
    """The console's (``/admin`` and every service's ``/admin/<name>``): a signed-in operator
    account. Someone signed out is asked to log in; a signed-in account that is not an
    operator gets 404, as if there were no console."""
    found = await current(request)
    if found is None:
        raise Forbidden("the console is for the operator: log in with an operator account")
    if found.account.role != OPERATOR:
        raise NotFound("Not Found")
    return found


def client_ip(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy says it forwarded for."""
    return geo.client_ip(request.scope, settings(request).web.trusted_proxies)


# The operator's own machine: exactly these, not all of 127.0.0.0/8.
LOOPBACK = frozenset({"127.0.0.1", "::1"})


def is_local(request: Request) -> bool:
    """Whether the request comes from this machine itself, and was not relayed here by a
    proxy on it: a loopback peer that forwards for someone (an ``X-Forwarded-For`` or
    ``Forwarded`` header from a proxy not in ``trusted_proxies``) speaks for another machine."""
    if client_ip(request) not in LOOPBACK:
        return False
    relayed = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    return not relayed or bool(settings(request).web.trusted_proxies)


def require_operator(request: Request) -> None:
    """The operator's endpoints (metrics, telephony status). With
    ``RINGFENCE_WEB__OPERATOR_TOKEN`` set, only a request bearing it (compared in constant time);
    without it, only a client whose real address (``client_ip``) is this machine's loopback."""
    token = settings(request).web.operator_token
    if token is not None:
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        expected = token.get_secret_value().encode()
        if scheme.lower() == "bearer" and secrets.compare_digest(sent.strip().encode(), expected):
            return
        raise Forbidden(
            "this endpoint is for the operator: send Authorization: Bearer and the operator token"
        )
    if client_ip(request) in LOOPBACK:
        return
    raise Forbidden(
        "this endpoint answers only on the server itself; set RINGFENCE_WEB__OPERATOR_TOKEN "
        "to reach it from elsewhere"
    )


SettingsDep = Annotated[Settings, Depends(settings)]
PrivacyDep = Annotated[Privacy, Depends(privacy)]
DatabaseDep = Annotated[Database, Depends(database)]
ClockDep = Annotated[Clock, Depends(clock)]
TemplatesDep = Annotated[Jinja2Templates, Depends(templates)]
AccountsDep = Annotated[Accounts, Depends(accounts)]
CallerIdsDep = Annotated[CallerIds, Depends(caller_ids)]
LoginDep = Annotated[Login, Depends(require_login)]
OperatorLoginDep = Annotated[Login, Depends(require_operator_login)]
OperatorsDep = Annotated[Operators, Depends(operators)]
TelephonyDep = Annotated[TelephonyEngine | None, Depends(telephony)]
QueueDep = Annotated[JobQueue, Depends(queue)]
MaybeLoginDep = Annotated[Login | None, Depends(current)]
ClientIpDep = Annotated[str, Depends(client_ip)]
# The JSON API's CSRF token travels in a header (the page reads it from its markup).
# The operator's endpoints take it as ``dependencies=[OperatorOnly]``.
OperatorOnly = Depends(require_operator)
CsrfHeader = Annotated[str, Header(alias="X-CSRF-Token", max_length=100)]


def check_csrf_header(login: Login, sent: str) -> Account:
    """The signed-in account, once the JSON request's header carries its session's token."""
    if not sent or not secrets.compare_digest(login.session.csrf, sent):
        raise Forbidden("missing or wrong X-CSRF-Token header: reload the page")
    return login.account


def check_csrf(request: Request, sent: str, login: Login | None = None) -> None:
    """The form's token must match the session's (signed in) or the double-submit cookie."""
    expected = login.session.csrf if login is not None else cookies.read(request, CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, sent):
        raise Forbidden("the form expired or came from another site: reload the page")


def test_phone(connection: HTTPConnection) -> TestPhone | None:
    """The built-in test phone, while it is the carrier (None otherwise)."""
    found: TestPhone | None = connection.app.state.test_phone
    return found
