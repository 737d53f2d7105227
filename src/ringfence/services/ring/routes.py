"""HTTP edge of ring: the page (installable: a web app manifest and a service worker whose
only cache is the offline page), live number checks, the ring, cancel and do-not-ring API, and
the event stream of a ring's progress."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import phonenumbers
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from ringfence.abuse.geo import country_for_ip
from ringfence.errors import RingfenceError
from ringfence.http.countries import country_name, for_reader, reader_language
from ringfence.http.deps import TemplatesDep, client_ip
from ringfence.http.instances import per_app
from ringfence.http.visitors import anon_id, remember_anon_id
from ringfence.services.ring.service import RingService, Started, Visitor

router = APIRouter(tags=["ring"])
STATIC = Path(__file__).parent / "static"
# The service worker sits at /ring/sw.js, so its default scope would be /ring/ (not the page).
SCOPE = "/ring"


class RingIn(BaseModel):
    number: str = Field(max_length=40, description="The number as typed: national or +E.164.")
    country: str | None = Field(None, max_length=2, description="ISO code for national numbers.")
    captcha: str = Field(max_length=2048, description="The ALTCHA solution (base64 JSON).")
    until_pickup: bool = Field(
        False, description="Ring until answered, up to the operator's cap (not ring_time)."
    )


class CancelIn(BaseModel):
    token: str = Field(max_length=200, description="The cancel token from POST /api/ring.")


class OptoutCallIn(BaseModel):
    token: str = Field(max_length=4096, description="The token from POST /api/ring/optout.")


class RingOut(BaseModel):
    id: str
    state: str
    cancel: str = Field(description="Cancel token: only the page that holds it can cancel.")
    calling_from: str | None = Field(
        description="The number the phone will show, for people; null: withheld."
    )
    rings_for: float = Field(description="Seconds the phone rings before the call gives up.")


class OptoutOut(BaseModel):
    token: str
    code: str = Field(description="Show it; the call asks for it on the phone's keypad.")
    number: str


class CheckOut(BaseModel):
    ok: bool
    formatted: str = Field(description="The digits typed so far, formatted as you type.")
    e164: str | None = None
    international: str | None = None
    kind: str | None = None
    country: str | None = None
    country_name: str | None = Field(None, description="The country's name, for people.")
    calling_from: str | None = Field(
        None, description="The number that will call this one, for people; null: withheld."
    )
    error: str | None = None


def ring_service(request: Request) -> RingService:
    return per_app(
        request,
        RingService,
        lambda s: RingService(s.settings, s.db, s.privacy.clock, lambda: s.telephony),
    )


RingDep = Annotated[RingService, Depends(ring_service)]


def _visitor(request: Request) -> tuple[Visitor, bool]:
    found = anon_id(request)
    return Visitor(found.value, client_ip(request)), found.new


@router.get("/ring", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, service: RingDep, templates: TemplatesDep) -> HTMLResponse:
    visitor, new = _visitor(request)
    preset = country_for_ip(visitor.ip) or service.ring.default_country
    dialing = service.dialing
    response = templates.TemplateResponse(
        request,
        "ring/index.html",
        {
            "title": "ring",
            "service": "ring",
            "countries": [c for c in for_reader(request) if dialing.permits_country(c[0])],
            "preset": preset,
            "unavailable": service.unavailable(),
            "ring_time": int(service.ring_time(until_pickup=False)),
            "until_pickup": int(service.ring_time(until_pickup=True)),
            "calling_from": service.calling_from(),
            "caller_id_varies": service.caller_id_differs(),
        },
    )
    if new:
        remember_anon_id(response, request, visitor.anon_id)
    return response


class CheckIn(BaseModel):
    number: str = Field(max_length=40, description="What has been typed so far.")
    country: str | None = Field(None, max_length=2, description="ISO code for national numbers.")


@router.post("/api/ring/check", response_model=CheckOut)
async def check(request: Request, rings: RingDep, body: CheckIn) -> CheckOut:
    """Live validation: the number formatted as typed, and whether ring may call it (or why
    not). A POST, so numbers never appear in URLs (and so in access logs)."""
    number, country = body.number, body.country
    formatted = _as_you_type(number, country)
    try:
        parsed = rings.check(number, country)
    except RingfenceError as exc:
        return CheckOut(ok=False, formatted=formatted, error=exc.message)
    return CheckOut(
        ok=True,
        formatted=formatted,
        e164=parsed.e164,
        international=parsed.international,
        kind=parsed.kind_name,
        country=parsed.region,
        country_name=country_name(parsed.region, reader_language(request)),
        calling_from=rings.calling_from(parsed),
    )


def _as_you_type(number: str, country: str | None) -> str:
    region = (country or "").upper()
    formatter = phonenumbers.AsYouTypeFormatter(
        region if region in phonenumbers.SUPPORTED_REGIONS else "ZZ"
    )
    out = number
    for char in number:
        if char.isdigit() or char == "+":
            out = formatter.input_digit(char)
    return out


def _started(started: Started) -> dict[str, Any]:
    return RingOut(
        id=started.progress.id,
        state="dialling",
        cancel=started.cancel_token,
        calling_from=started.calling_from,
        rings_for=started.rings_for,
    ).model_dump()


def _answer(request: Request, body: Any, visitor: Visitor, new: bool, status: int) -> JSONResponse:
    response = JSONResponse(body, status_code=status)
    if new:
        remember_anon_id(response, request, visitor.anon_id)
    return response


@router.post("/api/ring", status_code=202, response_model=RingOut)
async def ring(request: Request, rings: RingDep, body: RingIn) -> JSONResponse:
    """Ring a number: the call rings for the configured time (or, ``until_pickup``, up to the
    operator's cap) and, when answered, says the message and offers 9 to never be rung again.
    Follow it at ``/api/ring/{id}/events``; end it with ``/api/ring/{id}/cancel``."""
    visitor, new = _visitor(request)
    started = await rings.start_ring(
        body.number, body.country, visitor, body.captcha, until_pickup=body.until_pickup
    )
    return _answer(request, _started(started), visitor, new, 202)


@router.post("/api/ring/{ring_id}/cancel")
async def cancel(rings: RingDep, ring_id: str, body: CancelIn) -> dict[str, str]:
    """End a ring at once (CANCEL while it rings, BYE once answered). Only the page holding the
    ring's cancel token can: 403 for any other, 404 for a ring unknown here, 409 once ended."""
    await rings.cancel(ring_id[:64], body.token)
    return {"id": ring_id[:64], "state": "cancelled"}


@router.post("/api/ring/optout", response_model=OptoutOut)
async def optout(request: Request, rings: RingDep, body: RingIn) -> JSONResponse:
    """Ask never to be rung: returns a code to show; then ``POST /api/ring/optout/call`` places a
    call where the code is typed on the phone's keypad."""
    visitor, new = _visitor(request)
    made = await rings.start_optout(body.number, body.country, visitor, body.captcha)
    body_out = {"token": made.token, "code": made.code, "number": made.number}
    return _answer(request, body_out, visitor, new, 200)


@router.post("/api/ring/optout/call", status_code=202, response_model=RingOut)
async def optout_call(request: Request, rings: RingDep, body: OptoutCallIn) -> JSONResponse:
    visitor, new = _visitor(request)
    started = await rings.call_optout(body.token, visitor)
    return _answer(request, _started(started), visitor, new, 202)


@router.get("/api/ring/{ring_id}")
async def status(request: Request, rings: RingDep, ring_id: str) -> dict[str, Any]:
    visitor, _ = _visitor(request)
    return await rings.status(ring_id[:64], visitor)


@router.get("/api/ring/{ring_id}/events")
async def events(request: Request, rings: RingDep, ring_id: str) -> StreamingResponse:
    """Server-sent events: one ``data:`` line per state (dialling, ringing, answered, ended)."""
    service = rings
    visitor, _ = _visitor(request)
    progress = service.watch(ring_id[:64], visitor)
    # Placed by another process, or long finished: its last state, read (and refused) up front.
    last = None if progress is not None else await service.status(ring_id[:64], visitor)

    async def stream() -> AsyncIterator[str]:
        if progress is None:
            yield f"data: {json.dumps(last)}\n\n"
            return
        async for step in progress.follow():
            yield f"data: {json.dumps({'id': ring_id, **step})}\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.get("/ring/manifest.webmanifest", include_in_schema=False)
async def manifest() -> JSONResponse:
    """What a browser needs to install the page as an app (W3C Web Application Manifest)."""
    icons = [
        {"src": "/static/ring/icon.svg", "sizes": "any", "type": "image/svg+xml"},
        {"src": "/static/ring/icon-192.png", "sizes": "192x192", "type": "image/png"},
        {"src": "/static/ring/icon-512.png", "sizes": "512x512", "type": "image/png"},
        {
            "src": "/static/ring/icon-maskable-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    body = {
        "name": "Ring my phone",
        "short_name": "Ring",
        "description": "Lost your phone in the house? Type its number and we ring it.",
        "id": SCOPE,
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f7f7f4",
        "theme_color": "#0b6e4f",
        "icons": icons,
    }
    return JSONResponse(body, media_type="application/manifest+json")


@router.get("/ring/sw.js", include_in_schema=False)
async def service_worker() -> FileResponse:
    """The service worker, served under the page's path so it may control ``/ring``."""
    return FileResponse(
        STATIC / "sw.js",
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": SCOPE, "Cache-Control": "no-cache"},
    )


@router.get("/ring/offline", response_class=HTMLResponse, include_in_schema=False)
async def offline(request: Request, templates: TemplatesDep) -> HTMLResponse:
    """What the installed app shows when there is no connection (the worker's one cache)."""
    return templates.TemplateResponse(
        request, "ring/offline.html", {"title": "ring", "service": "ring"}
    )
