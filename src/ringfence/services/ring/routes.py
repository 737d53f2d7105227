"""HTTP edge of ring: the page, live number checks, the ring and do-not-ring API, and the
event stream of a ring's progress."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import phonenumbers
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from ringfence.abuse.geo import country_for_ip
from ringfence.errors import RingfenceError
from ringfence.http.countries import country_name, for_reader, reader_language
from ringfence.http.deps import TemplatesDep, client_ip
from ringfence.http.instances import per_app
from ringfence.http.visitors import anon_id, remember_anon_id
from ringfence.services.ring.service import RingService, Visitor

router = APIRouter(tags=["ring"])


class RingIn(BaseModel):
    number: str = Field(max_length=40, description="The number as typed: national or +E.164.")
    country: str | None = Field(None, max_length=2, description="ISO code for national numbers.")
    captcha: str = Field(max_length=2048, description="The ALTCHA solution (base64 JSON).")


class OptoutCallIn(BaseModel):
    token: str = Field(max_length=4096, description="The token from POST /api/ring/optout.")


class RingOut(BaseModel):
    id: str
    state: str


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
            "ring_time": int(service.ring.ring_time),
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


def _answer(request: Request, body: Any, visitor: Visitor, new: bool, status: int) -> JSONResponse:
    response = JSONResponse(body, status_code=status)
    if new:
        remember_anon_id(response, request, visitor.anon_id)
    return response


@router.post("/api/ring", status_code=202, response_model=RingOut)
async def ring(request: Request, rings: RingDep, body: RingIn) -> JSONResponse:
    """Ring a number: the call rings for the configured time and, when answered, says the
    message and offers 9 to never be rung again. Follow it at ``/api/ring/{id}/events``."""
    visitor, new = _visitor(request)
    progress = await rings.start_ring(body.number, body.country, visitor, body.captcha)
    return _answer(request, {"id": progress.id, "state": "dialling"}, visitor, new, 202)


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
    progress = await rings.call_optout(body.token, visitor)
    return _answer(request, {"id": progress.id, "state": "dialling"}, visitor, new, 202)


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
