"""HTTP edge of dial: the page, prices, the call (WebRTC offer in, answer out), its events,
hang-up and key presses, and the history as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.templating import Jinja2Templates

from ringfence.errors import Forbidden
from ringfence.http.countries import countries
from ringfence.http.deps import CsrfHeader, LoginDep, check_csrf_header, current
from ringfence.http.instances import per_app
from ringfence.services.dial.service import DialService, quote_dict

router = APIRouter(tags=["dial"])


def dial_of(request: Request) -> DialService:
    return per_app(
        request, DialService, lambda s: DialService(s.settings, s.privacy, lambda: s.telephony)
    )


class NumberIn(BaseModel):
    number: str = Field(max_length=40)
    country: str | None = Field(None, max_length=2)


class CallIn(NumberIn):
    sdp: str = Field(max_length=20_000, description="The browser's WebRTC offer (SDP).")
    caller_id: str | None = Field(
        None, max_length=32, description="Id of one of your verified numbers to show."
    )


class TokenIn(BaseModel):
    token: str = Field(max_length=4096)


class DigitIn(BaseModel):
    digit: str = Field(min_length=1, max_length=1, description="0-9, *, #")


@router.get("/dial", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request) -> Response:
    found = await current(request)
    if found is None:
        return RedirectResponse("/account/login", status_code=303)
    account, session = found.account, found.session
    service = dial_of(request)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "dial/index.html",
        {
            "title": "dial",
            "service": "dial",
            "account": account,
            "csrf": session.csrf,
            "countries": countries(),
            "balance": await service.balance(account.id),
            "currency": service.currency,
            "packs": request.app.state.settings.billing.packs,
            "unavailable": service.unavailable(),
            "history": await service.history(account, limit=50),
            "caller_ids": await service.caller_ids(account),
        },
    )


@router.post("/api/dial/quote")
async def quote(request: Request, login: LoginDep, body: NumberIn) -> dict[str, Any]:
    """What a call to the number costs, and the longest call the balance pays for."""
    return quote_dict(await dial_of(request).quote(login.account.id, body.number, body.country))


@router.post("/api/dial/calls", status_code=201)
async def call(
    request: Request, login: LoginDep, body: CallIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, Any]:
    """Place a call: the answer SDP for the browser, the price, and the longest it may last."""
    check_csrf_header(login, x_csrf_token)
    active, answer, priced = await dial_of(request).start(
        login.account, body.number, body.country, body.sdp, body.caller_id
    )
    return {"id": active.id, "sdp": answer, "quote": quote_dict(priced)}


@router.get("/api/dial/calls/{call_id}/events")
async def events(request: Request, login: LoginDep, call_id: str) -> StreamingResponse:
    progress = dial_of(request).watch(login.account.subject_ref, call_id[:64])
    if progress is None:
        raise Forbidden("no call of yours has this id")

    async def stream() -> AsyncIterator[str]:
        async for step in progress.follow():
            yield f"data: {json.dumps({'id': call_id, **step})}\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.post("/api/dial/calls/{call_id}/hangup")
async def hang_up(
    request: Request, login: LoginDep, call_id: str, x_csrf_token: CsrfHeader = ""
) -> dict[str, bool]:
    check_csrf_header(login, x_csrf_token)
    await dial_of(request).hang_up(login.account.id, call_id[:64])
    return {"ok": True}


@router.post("/api/dial/calls/{call_id}/dtmf")
async def dtmf(
    request: Request, login: LoginDep, call_id: str, body: DigitIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, bool]:
    check_csrf_header(login, x_csrf_token)
    dial_of(request).dtmf(login.account.id, call_id[:64], body.digit)
    return {"ok": True}


@router.get("/api/dial/caller-ids")
async def caller_ids(request: Request, login: LoginDep) -> dict[str, Any]:
    """Your verified numbers, any of which a call may show."""
    return {"caller_ids": await dial_of(request).caller_ids(login.account)}


@router.post("/api/dial/caller-ids")
async def offer_caller_id(
    request: Request, login: LoginDep, body: NumberIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, str]:
    """A code to show: ``POST /api/dial/caller-ids/call`` then calls the number, and typing
    the code on its keypad proves it is yours."""
    check_csrf_header(login, x_csrf_token)
    token, code, number = await dial_of(request).offer_caller_id(
        login.account, body.number, body.country
    )
    return {"token": token, "code": code, "number": number}


@router.post("/api/dial/caller-ids/call", status_code=202)
async def call_caller_id(
    request: Request, login: LoginDep, body: TokenIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, str]:
    check_csrf_header(login, x_csrf_token)
    return {"id": await dial_of(request).call_caller_id(login.account, body.token)}


@router.get("/api/dial/history")
async def history(
    request: Request,
    login: LoginDep,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Response:
    """Your calls: number, start, duration, status, cost (as JSON or CSV)."""
    rows = await dial_of(request).history(login.account)
    if format == "json":
        return Response(json.dumps({"calls": rows}), media_type="application/json")
    out = io.StringIO()
    fields = ["started_at", "number", "status", "duration", "cost", "currency", "id"]
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="ringfence-calls.csv"'},
    )
