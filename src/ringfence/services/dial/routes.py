"""HTTP edge of dial: the page, prices, the call (WebRTC offer in, answer out), its events,
hang-up, key presses, hold and the browser's quality figures, and the history as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from ringfence.errors import Forbidden
from ringfence.http.countries import for_reader
from ringfence.http.deps import (
    CsrfHeader,
    LoginDep,
    MaybeLoginDep,
    SettingsDep,
    TemplatesDep,
    check_csrf_header,
)
from ringfence.http.headers import MICROPHONE
from ringfence.http.instances import per_app
from ringfence.media.quality import LinkQuality
from ringfence.services.dial import pwa
from ringfence.services.dial.service import DialService, quote_dict
from ringfence.services.dial.words import STATUS, VERIFYING, status

router = APIRouter(tags=["dial"])
router.include_router(pwa.router)


def dial_of(request: Request) -> DialService:
    return per_app(
        request, DialService, lambda s: DialService(s.settings, s.privacy, lambda: s.telephony)
    )


DialDep = Annotated[DialService, Depends(dial_of)]


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
    digit: str = Field(min_length=1, max_length=1, description="0-9, *, #, A-D")


class HoldIn(BaseModel):
    on: bool = Field(description="true puts the call on hold, false takes it off")


class QualityIn(BaseModel):
    """The page's figures for its own WebRTC stream (from ``getStats()``); a figure it has not
    measured is left out."""

    jitter_ms: float | None = Field(None, ge=0, le=60_000)
    loss_pct: float | None = Field(None, ge=0, le=100)
    rtt_ms: float | None = Field(None, ge=0, le=60_000)


@router.get("/dial", response_class=HTMLResponse, include_in_schema=False)
async def page(
    request: Request,
    dial: DialDep,
    login: MaybeLoginDep,
    templates: TemplatesDep,
    settings: SettingsDep,
    paid: Annotated[
        Literal["0", "1"] | None, Query(description="Back from the payment page")
    ] = None,
) -> Response:
    """The dial page; ``paid`` says how the payment page was left (1 paid, 0 cancelled)."""
    if login is None:
        return RedirectResponse("/account/login", status_code=303)
    account, session = login.account, login.session
    choices = for_reader(request)
    return templates.TemplateResponse(
        request,
        "dial/index.html",
        {
            "title": "dial",
            "service": "dial",
            "account": account,
            "email": login.email,
            "csrf": session.csrf,
            "countries": choices,
            "prices": await dial.lowest_prices([(code, cc) for code, _, cc in choices]),
            "balance": await dial.balance(account.id),
            "currency": dial.currency,
            "packs": settings.billing.packs,
            "payments": settings.billing.stripe_secret_key is not None,
            "paid": paid,
            "unavailable": dial.unavailable(),
            "history": await dial.history(account, limit=50),
            "caller_ids": await dial.caller_ids(account),
            "status": status,
            "words": {"status": STATUS, "verifying": VERIFYING},
        },
        headers=MICROPHONE,  # the call is placed from the browser's microphone
    )


@router.post("/api/dial/quote")
async def quote(dial: DialDep, login: LoginDep, body: NumberIn) -> dict[str, Any]:
    """What a call to the number costs, and the longest call the balance pays for."""
    return quote_dict(await dial.quote(login.account.id, body.number, body.country))


@router.post("/api/dial/calls", status_code=201)
async def call(
    dial: DialDep, login: LoginDep, body: CallIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, Any]:
    """Place a call: the answer SDP for the browser, the price, and the longest it may last."""
    check_csrf_header(login, x_csrf_token)
    started = await dial.start(login.account, body.number, body.country, body.sdp, body.caller_id)
    return {"id": started.active.id, "sdp": started.answer_sdp, "quote": quote_dict(started.quote)}


@router.get("/api/dial/calls/{call_id}/events")
async def events(dial: DialDep, login: LoginDep, call_id: str) -> StreamingResponse:
    progress = dial.watch(login.account.subject_ref, call_id[:64])
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
    dial: DialDep, login: LoginDep, call_id: str, x_csrf_token: CsrfHeader = ""
) -> dict[str, bool]:
    check_csrf_header(login, x_csrf_token)
    await dial.hang_up(login.account.id, call_id[:64])
    return {"ok": True}


@router.post("/api/dial/calls/{call_id}/dtmf")
async def dtmf(
    dial: DialDep,
    login: LoginDep,
    call_id: str,
    body: DigitIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, bool]:
    check_csrf_header(login, x_csrf_token)
    dial.dtmf(login.account.id, call_id[:64], body.digit)
    return {"ok": True}


@router.post("/api/dial/calls/{call_id}/hold")
async def hold(
    dial: DialDep,
    login: LoginDep,
    call_id: str,
    body: HoldIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, bool]:
    """Put your call on hold (the phone network is asked by re-INVITE) or take it off."""
    check_csrf_header(login, x_csrf_token)
    await dial.hold(login.account.id, call_id[:64], body.on)
    return {"held": body.on}


@router.post("/api/dial/calls/{call_id}/quality")
async def quality(
    dial: DialDep,
    login: LoginDep,
    call_id: str,
    body: QualityIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, bool]:
    """Your browser's jitter, loss and round trip on the call so far, kept with the call."""
    check_csrf_header(login, x_csrf_token)
    dial.report_quality(
        login.account.id,
        call_id[:64],
        LinkQuality.checked(body.jitter_ms, body.loss_pct, body.rtt_ms),
    )
    return {"ok": True}


@router.get("/api/dial/caller-ids")
async def caller_ids(dial: DialDep, login: LoginDep) -> dict[str, Any]:
    """Your verified numbers, any of which a call may show."""
    return {"caller_ids": await dial.caller_ids(login.account)}


@router.post("/api/dial/caller-ids")
async def offer_caller_id(
    dial: DialDep, login: LoginDep, body: NumberIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, str]:
    """A code to show: ``POST /api/dial/caller-ids/call`` then calls the number, and typing
    the code on its keypad proves it is yours."""
    check_csrf_header(login, x_csrf_token)
    offer = await dial.offer_caller_id(login.account, body.number, body.country)
    return {"token": offer.token, "code": offer.code, "number": offer.number}


@router.post("/api/dial/caller-ids/call", status_code=202)
async def call_caller_id(
    dial: DialDep, login: LoginDep, body: TokenIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, str]:
    check_csrf_header(login, x_csrf_token)
    return {"id": await dial.call_caller_id(login.account, body.token)}


@router.get(
    "/api/dial/history",
    responses={
        200: {
            "description": "Your calls, as JSON or as a CSV file.",
            "content": {"application/json": {}, "text/csv": {}},
        }
    },
)
async def history(
    dial: DialDep,
    login: LoginDep,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Response:
    """Your calls: number, start, duration, status, cost (as JSON or CSV)."""
    rows = await dial.history(login.account)
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
