"""HTTP edge of roulette: the page, and a banned person's appeal. The conversation itself runs
over Socket.IO (``hub``)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse
from prometheus_client import Gauge

from ringfence.abuse.geo import country_for_ip
from ringfence.errors import RingfenceError
from ringfence.http import cookies, deps
from ringfence.http.countries import for_reader, reader_language
from ringfence.http.deps import CSRF_COOKIE, ClientIpDep, PrivacyDep, SettingsDep, TemplatesDep
from ringfence.http.forms import see_other, submit
from ringfence.http.headers import MICROPHONE
from ringfence.privacy.subjects import ip_ref, keyed_ref
from ringfence.services.roulette.appeals import DECISIONS, MAX_CHARS, MIN_CHARS
from ringfence.services.roulette.bans import REASONS, ban_length
from ringfence.services.roulette.hub import RouletteHub
from ringfence.services.roulette.preferences import MAX_INTERESTS, language_names
from ringfence.settings import Settings

router = APIRouter(tags=["roulette"])


def install(app: FastAPI) -> None:
    """Mount the Socket.IO endpoint at ``/socket.io``; start the hub (and the managed relay)
    with the app and close it with the app."""
    state = app.state
    hub = RouletteHub(state.settings, state.privacy, state.privacy.clock)
    state.roulette = hub
    state.starters.append(hub.start)
    state.closers.append(hub.close)
    app.mount("/socket.io", hub.asgi(), name="socket.io")
    connections = Gauge(
        "ringfence_roulette_connections",
        "Socket.IO connections to roulette in this process",
        registry=state.metrics,
    )
    connections.set_function(lambda: hub.connected)


def _hub(request: Request) -> RouletteHub:
    hub: RouletteHub = request.app.state.roulette
    return hub


def _address(settings: Settings, ip: str) -> str:
    """The keyed hash bans and appeals hold for an address (never the address)."""
    return keyed_ref(ip_ref(ip), settings.signing_key())


@router.get("/roulette", response_class=HTMLResponse, include_in_schema=False)
async def page(
    request: Request,
    templates: TemplatesDep,
    settings: SettingsDep,
    privacy: PrivacyDep,
    ip: ClientIpDep,
) -> HTMLResponse:
    hub = _hub(request)
    return templates.TemplateResponse(
        request,
        "roulette/index.html",
        {
            "title": "roulette",
            "service": "roulette",
            "countries": for_reader(request),
            "languages": language_names(reader_language(request)),
            "max_interests": MAX_INTERESTS,
            "own_country": country_for_ip(ip) or "",
            "relayed": hub.turn is not None,
            "max_message": settings.roulette.max_message,
            "max_image_kb": settings.roulette.max_image_bytes // 1000,
            "reasons": REASONS,
            "ban_days": ban_length(privacy.inventory).days,
            "ban": await hub.bans.in_force(_address(settings, ip)),
        },
        headers=MICROPHONE,  # a stranger hears you: the page asks for the microphone
    )


async def _appeal_page(
    request: Request, settings: Settings, ip: str, status: int = 200, **context: Any
) -> Response:
    hub = _hub(request)
    address = _address(settings, ip)
    token = cookies.read(request, CSRF_COOKIE) or secrets.token_urlsafe(24)
    response: Response = deps.templates(request).TemplateResponse(
        request,
        "roulette/appeal.html",
        {
            "title": "roulette",
            "service": "roulette",
            "csrf": token,
            "ban": await hub.bans.in_force(address),
            "appeal": await hub.appeals.latest(address),
            "decisions": DECISIONS,
            "min_chars": MIN_CHARS,
            "max_chars": MAX_CHARS,
            "sent": request.query_params.get("sent") == "1",
            **context,
        },
        status_code=status,
    )
    if not cookies.read(request, CSRF_COOKIE):
        cookies.write(response, request, CSRF_COOKIE, token, samesite="strict")
    return response


@router.get("/roulette/appeal", response_class=HTMLResponse, include_in_schema=False)
async def appeal_page(request: Request, settings: SettingsDep, ip: ClientIpDep) -> Response:
    return await _appeal_page(request, settings, ip)


@router.post("/roulette/appeal", include_in_schema=False)
async def appeal(
    request: Request,
    settings: SettingsDep,
    ip: ClientIpDep,
    csrf: Annotated[str, Form(max_length=100)],
    text: Annotated[str, Form(max_length=MAX_CHARS * 2)],
) -> Response:
    async def act() -> Response:
        await _hub(request).appeals.send(_address(settings, ip), text)
        return see_other("/roulette/appeal?sent=1")

    async def again(exc: RingfenceError) -> Response:
        return await _appeal_page(
            request, settings, ip, status=exc.http_status, error=exc.message, text=text
        )

    return await submit(request, csrf, None, act, again)
