"""Privacy requests by phone number, for people without an account: the page, the proving call,
and the requests a proved number may make (a summary, an export, a restriction, an erasure).

The browser is named by its anonymous id (``rf_anon``): only the browser that asked for a code
may place its call, follow it and turn its proof into a session; the session (``rf_phone``) is
a sealed, short-lived HttpOnly cookie. Numbers travel only in POST bodies.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from ringfence.errors import Forbidden
from ringfence.http import cookies
from ringfence.http.deps import ClientIpDep, TemplatesDep
from ringfence.http.instances import per_app
from ringfence.http.visitors import anon_id, remember_anon_id
from ringfence.privacy.rights import KINDS
from ringfence.privacy.subjects import anon_ref, keyed_ref
from ringfence.telephony.number_proof import SESSION_SECONDS, NumberProof, PhoneSession
from ringfence.tenants.rights_notices import PHONE_KINDS, PhoneRequests
from ringfence.web.privacy_requests import _same_origin

router = APIRouter(tags=["privacy"])
SESSION_COOKIE = "rf_phone"


def number_proof(request: Request) -> NumberProof:
    return per_app(
        request,
        NumberProof,
        lambda s: NumberProof(s.settings, s.db, s.privacy.clock, lambda: s.telephony),
    )


def phone_requests(request: Request) -> PhoneRequests:
    return per_app(request, PhoneRequests, lambda s: PhoneRequests(s.privacy))


ProofDep = Annotated[NumberProof, Depends(number_proof)]
RequestsDep = Annotated[PhoneRequests, Depends(phone_requests)]


def _visitor(request: Request, proof: NumberProof) -> tuple[str, str, bool]:
    """The browser's anonymous id, its keyed reference (what tokens are bound to), and whether
    the id is new (the answer sets the cookie)."""
    found = anon_id(request)
    return found.value, keyed_ref(anon_ref(found.value), proof.key), found.new


def _answer(request: Request, body: Any, anon: str, new: bool, status: int = 200) -> JSONResponse:
    response = JSONResponse(body, status_code=status)
    if new:
        remember_anon_id(response, request, anon)
    return response


async def _session(request: Request, proof: NumberProof) -> PhoneSession:
    token = cookies.read(request, SESSION_COOKIE)
    if not token:
        raise Forbidden("no number is proved in this browser: prove it first")
    return await proof.session(token)


@router.get("/privacy/phone", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, proof: ProofDep, templates: TemplatesDep) -> HTMLResponse:
    anon, _, new = _visitor(request, proof)
    context = {
        "title": "Privacy requests by phone number",
        "unavailable": proof.unavailable(),
        "kinds": {k: KINDS[k] for k in PHONE_KINDS},
    }
    response = templates.TemplateResponse(request, "privacy/phone.html", context)
    if new:
        remember_anon_id(response, request, anon)
    return response


class NumberIn(BaseModel):
    number: str = Field(max_length=40, description="The number as typed: national or +E.164.")
    country: str | None = Field(None, max_length=2, description="ISO code for national numbers.")
    captcha: str = Field(max_length=2048, description="The ALTCHA solution (base64 JSON).")


class TokenIn(BaseModel):
    token: str = Field(max_length=4096, description="The token from POST /api/privacy/phone.")


@router.post("/api/privacy/phone")
async def offer(request: Request, proof: ProofDep, body: NumberIn) -> JSONResponse:
    """A code to show; ``POST /api/privacy/phone/call`` then calls the number and asks for the
    code on its keypad."""
    _same_origin(request)
    anon, visitor, new = _visitor(request, proof)
    made = await proof.offer(body.number, body.country, visitor, body.captcha)
    return _answer(
        request, {"token": made.token, "code": made.code, "number": made.number}, anon, new
    )


@router.post("/api/privacy/phone/call", status_code=202)
async def call(request: Request, proof: ProofDep, ip: ClientIpDep, body: TokenIn) -> JSONResponse:
    """Place the proving call (limited per number and per network); follow it at
    ``/api/privacy/phone/calls/{id}/events``."""
    _same_origin(request)
    anon, visitor, new = _visitor(request, proof)
    call_id = await proof.call(body.token, visitor, ip)
    return _answer(request, {"id": call_id, "state": "dialling"}, anon, new, 202)


@router.get("/api/privacy/phone/calls/{call_id}/events")
async def events(request: Request, proof: ProofDep, call_id: str) -> StreamingResponse:
    """Server-sent events: dialling, ringing, answered, then ended with outcome ``proved`` or
    ``not proved``."""
    _, visitor, _ = _visitor(request, proof)
    progress = proof.watch(call_id[:64], visitor)

    async def stream() -> AsyncIterator[str]:
        async for step in progress.follow():
            yield f"data: {json.dumps({'id': call_id, **step})}\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.post("/api/privacy/phone/session")
async def start_session(request: Request, proof: ProofDep, body: TokenIn) -> JSONResponse:
    """Turn the proof of the code typed during the call into this browser's session, once."""
    _same_origin(request)
    anon, visitor, new = _visitor(request, proof)
    token = await proof.claim(body.token, visitor)
    found = await proof.session(token)
    response = _answer(
        request, {"number": found.masked, "expires_at": found.expires_at.isoformat()}, anon, new
    )
    cookies.write(response, request, SESSION_COOKIE, token, max_age=SESSION_SECONDS)
    return response


@router.get("/api/privacy/phone/summary")
async def summary(request: Request, proof: ProofDep, phone: RequestsDep) -> dict[str, Any]:
    """What is held about the proved number: each category, its records and how many
    businesses hold them."""
    found = await _session(request, proof)
    held = await phone.holdings(found.subject_ref)
    return {
        "number": found.masked,
        "expires_at": found.expires_at.isoformat(),
        "holdings": [
            {
                "category": h.category,
                "title": h.title,
                "service": h.service,
                "records": h.records,
                "businesses": len(h.by_tenant),
            }
            for h in held
        ],
    }


class PhoneRequestIn(BaseModel):
    kind: Literal["access", "restrict", "lift_restriction", "erase"] = Field(
        description="access (a JSON export), restrict, lift_restriction, or erase"
    )


@router.post("/api/privacy/phone/requests")
async def make_request(
    request: Request, proof: ProofDep, phone: RequestsDep, body: PhoneRequestIn
) -> Response:
    """Carry out a request about the proved number across every service and business; each
    business whose records it touched is told, with the legal deadline."""
    _same_origin(request)
    found = await _session(request, proof)
    done = await phone.answer(body.kind, found.subject_ref)
    response = JSONResponse(
        {
            "request": done.request_id,
            "kind": done.kind,
            "answer_by": done.answer_by.isoformat(),
            "businesses_told": len(done.tenants),
            **done.answer,
        }
    )
    if body.kind == "erase":  # the proof went with the rest: nothing is left to act on
        cookies.delete(response, request, SESSION_COOKIE)
    return response
