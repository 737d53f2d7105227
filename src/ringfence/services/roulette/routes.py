"""HTTP edge of roulette: the page. The conversation itself runs over Socket.IO (``hub``)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from prometheus_client import Gauge

from ringfence.abuse.geo import country_for_ip
from ringfence.http.countries import for_reader
from ringfence.http.deps import ClientIpDep, PrivacyDep, SettingsDep, TemplatesDep
from ringfence.http.headers import MICROPHONE
from ringfence.logging import get_logger
from ringfence.services.roulette.bans import REASONS, ban_length
from ringfence.services.roulette.hub import RouletteHub

router = APIRouter(tags=["roulette"])
log = get_logger(__name__)


def install(app: FastAPI) -> None:
    """Mount the Socket.IO endpoint at ``/socket.io`` and close the hub with the app."""
    state = app.state
    hub = RouletteHub(state.settings, state.privacy, state.privacy.clock)
    state.roulette = hub
    state.closers.append(hub.close)
    app.mount("/socket.io", hub.asgi(), name="socket.io")
    connections = Gauge(
        "ringfence_roulette_connections",
        "Socket.IO connections to roulette in this process",
        registry=state.metrics,
    )
    connections.set_function(lambda: hub.connected)
    if not state.settings.roulette.relayed:
        log.warning(
            "roulette_direct_mode",
            detail="no TURN relay configured (RINGFENCE_ROULETTE__TURN_URLS, _TURN_SECRET): "
            "strangers' browsers see each other's IP addresses",
        )


@router.get("/roulette", response_class=HTMLResponse, include_in_schema=False)
async def page(
    request: Request,
    templates: TemplatesDep,
    settings: SettingsDep,
    privacy: PrivacyDep,
    ip: ClientIpDep,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "roulette/index.html",
        {
            "title": "roulette",
            "service": "roulette",
            "countries": for_reader(request),
            "own_country": country_for_ip(ip) or "",
            "relayed": settings.roulette.relayed,
            "max_message": settings.roulette.max_message,
            "max_image_kb": settings.roulette.max_image_bytes // 1000,
            "reasons": REASONS,
            "ban_days": ban_length(privacy.inventory).days,
        },
        headers=MICROPHONE,  # a stranger hears you: the page asks for the microphone
    )
