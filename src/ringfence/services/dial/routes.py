"""HTTP edge of dial: the page, prices, the call (WebRTC offer in, answer out), its events,
hang-up, key presses, hold and the browser's quality figures, the history as JSON or CSV
(searchable), and the address book."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from ringfence import humanize
from ringfence.errors import Forbidden, InvalidInput
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
from ringfence.services.dial.cards import MAX_BYTES, csv_text, read, vcards
from ringfence.services.dial.contacts import NAME_MAX, NOTE_MAX, Contact, ContactIn
from ringfence.services.dial.service import DialService, HistorySearch, quote_dict
from ringfence.services.dial.words import STATUS, VERIFYING, status

router = APIRouter(tags=["dial"])
router.include_router(pwa.router)


def dial_of(request: Request) -> DialService:
    return per_app(
        request, DialService, lambda s: DialService(s.settings, s.privacy, lambda: s.telephony)
    )


DialDep = Annotated[DialService, Depends(dial_of)]


def history_search(
    q: Annotated[
        str, Query(max_length=60, description="Digits of a number or a contact's name")
    ] = "",
    since: Annotated[
        str, Query(alias="from", max_length=10, description="First day (UTC), YYYY-MM-DD")
    ] = "",
    until: Annotated[
        str, Query(alias="to", max_length=10, description="Last day (UTC), YYYY-MM-DD")
    ] = "",
) -> HistorySearch:
    """The search of the history form; its empty date fields (sent as ``from=``) mean no bound."""
    return HistorySearch(q.strip(), _day(since, "first"), _day(until, "last"))


def _day(value: str, which: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"the {which} day of the search is not a date (YYYY-MM-DD)") from None


def in_words(
    rows: list[dict[str, Any]], dial: DialService, request: Request
) -> list[dict[str, Any]]:
    """Each call's time and length as the reader says them ("yesterday 14:05", "2 minutes")."""
    locale = humanize.locale_for(request.headers.get("accept-language"))
    now = dial.clock.now()
    for row in rows:
        row["when"] = humanize.when(dt.datetime.fromisoformat(row["started_at"]), now, locale)
        row["length"] = humanize.duration(row["duration"], locale)
    return rows


def contact_dict(contact: Contact) -> dict[str, str]:
    return {
        "id": contact.id,
        "name": contact.name,
        "number": contact.number,
        "international": contact.international,
        "note": contact.note,
    }


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


class ContactBody(BaseModel):
    """A contact as typed. The caps here only stop oversized bodies: the limits people are told
    about (a name's 100 characters, after its spaces are tidied) are ``ContactIn.checked``'s."""

    name: str = Field(max_length=NAME_MAX * 2, description="Up to 100 characters.")
    number: str = Field(max_length=40)
    note: str | None = Field(None, max_length=NOTE_MAX * 2, description="Up to 500 characters.")
    country: str | None = Field(
        None, max_length=2, description="Where a number without its +code is from."
    )

    def checked(self) -> ContactIn:
        return ContactIn.checked(self.name, self.number, self.note, self.country)


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
    search: Annotated[HistorySearch, Depends(history_search)],
    paid: Annotated[
        Literal["0", "1"] | None, Query(description="Back from the payment page")
    ] = None,
) -> Response:
    """The dial page; ``paid`` says how the payment page was left (1 paid, 0 cancelled); ``q``,
    ``from`` and ``to`` search the history."""
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
            "history": in_words(await dial.history(account, search, limit=50), dial, request),
            "search": search,
            "contacts": [contact_dict(c) for c in await dial.contacts.all(account)],
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
    request: Request,
    dial: DialDep,
    login: LoginDep,
    search: Annotated[HistorySearch, Depends(history_search)],
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Response:
    """Your calls: number, contact, start, duration, status, cost (as JSON or CSV); ``q``
    finds a number's digits or a contact's name, ``from`` and ``to`` bound the days."""
    rows = await dial.history(login.account, search)
    if format == "json":
        body = {"calls": in_words(rows, dial, request)}
        return Response(json.dumps(body), media_type="application/json")
    out = io.StringIO()
    fields = ["started_at", "number", "status", "duration", "cost", "currency", "id", "contact"]
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="ringfence-calls.csv"'},
    )


@router.get("/api/dial/contacts")
async def contacts(
    dial: DialDep,
    login: LoginDep,
    q: Annotated[str, Query(max_length=60, description="Words of a name or note, or digits")] = "",
) -> dict[str, Any]:
    """Your contacts by name; ``q`` keeps those whose name or note holds its words, or whose
    number holds its digits."""
    found = await dial.contacts.search(login.account, q)
    return {"contacts": [contact_dict(c) for c in found]}


@router.get(
    "/api/dial/contacts/export",
    responses={
        200: {
            "description": "Your contacts as a vCard 4.0 or a CSV file.",
            "content": {"text/vcard": {}, "text/csv": {}},
        }
    },
)
async def export_contacts(
    dial: DialDep,
    login: LoginDep,
    format: Annotated[str, Query(pattern="^(vcf|csv)$")] = "vcf",
) -> Response:
    """Your contacts for another address book (vCard) or a spreadsheet (CSV)."""
    rows = [(c.name, c.number, c.note) for c in await dial.contacts.all(login.account)]
    text, media = (vcards(rows), "text/vcard") if format == "vcf" else (csv_text(rows), "text/csv")
    return Response(
        text,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="ringfence-contacts.{format}"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/api/dial/contacts/import",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "description": "A vCard file, or a CSV file whose first line is name,number,note.",
            "content": {"text/vcard": {}, "text/csv": {}},
        }
    },
)
async def import_contacts(
    request: Request,
    dial: DialDep,
    login: LoginDep,
    x_csrf_token: CsrfHeader = "",
    country: Annotated[
        str | None, Query(max_length=2, description="Where numbers without a +code are from")
    ] = None,
) -> dict[str, Any]:
    """Add every contact of the file, or none: the first that is wrong is named in the error."""
    check_csrf_header(login, x_csrf_token)
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_BYTES // 1_000_000} MB")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text: save it as UTF-8 and try again") from None
    typed = []
    for entry in read(text):
        try:
            typed.append(ContactIn.checked(entry.name, entry.number, entry.note, country))
        except InvalidInput as exc:
            raise InvalidInput(f"{entry.where}: {exc}; nothing was imported") from None
    added = await dial.contacts.add_all(login.account, typed)
    return {"added": len(added)}


@router.post("/api/dial/contacts", status_code=201)
async def add_contact(
    dial: DialDep, login: LoginDep, body: ContactBody, x_csrf_token: CsrfHeader = ""
) -> dict[str, str]:
    check_csrf_header(login, x_csrf_token)
    return contact_dict(await dial.contacts.add(login.account, body.checked()))


@router.put("/api/dial/contacts/{contact_id}")
async def edit_contact(
    dial: DialDep,
    login: LoginDep,
    contact_id: str,
    body: ContactBody,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, str]:
    check_csrf_header(login, x_csrf_token)
    return contact_dict(await dial.contacts.edit(login.account, contact_id[:32], body.checked()))


@router.delete("/api/dial/contacts/{contact_id}")
async def remove_contact(
    dial: DialDep, login: LoginDep, contact_id: str, x_csrf_token: CsrfHeader = ""
) -> dict[str, bool]:
    check_csrf_header(login, x_csrf_token)
    await dial.contacts.remove(login.account, contact_id[:32])
    return {"ok": True}
