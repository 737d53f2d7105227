"""``/phone``: the test phone's page, and its line, a websocket (``/api/phone/line``).

The websocket is the registration: while it is open, the browser's test number rings this tab;
when it closes, the number rings nothing. The tab's messages are JSON objects with a ``type``:
``dial`` (``number``, ``sdp``: the tab's WebRTC offer), ``answer`` (``call``, ``sdp``),
``hangup`` and ``dtmf`` (``call``, ``digit``). The server sends ``line`` (the number), ``incoming``,
``sdp`` (the answer to the tab's offer), ``state`` (ringing, answered, ended), ``replaced`` (the
browser opened the phone in another tab) and ``error`` (``message``).

Who may open a line: any browser, with the page's anonymous-id cookie (a line is that browser's
and rings only the tab that holds it), from a page of this very site (the ``Origin`` must be this
host: a websocket is not bound by the same-origin policy, so another site's page could otherwise
open one with the visitor's cookie).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, Response

from ringfence.abuse.geo import client_ip
from ringfence.errors import InvalidInput, RingfenceError
from ringfence.http import cookies, deps
from ringfence.http.headers import MICROPHONE
from ringfence.http.visitors import anon_id, remember_anon_id
from ringfence.logging import get_logger
from ringfence.privacy.subjects import ANON_COOKIE, anon_ref, keyed_ref
from ringfence.telephony.fiction import RANGE_TEXT, spoken
from ringfence.telephony.lines import Line
from ringfence.telephony.testphone import TestPhone

log = get_logger(__name__)
router = APIRouter(include_in_schema=False)
MAX_MESSAGE = 24_000  # characters: an SDP offer (20,000 at most) and its envelope
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013


def _why_not(request: Request) -> str | None:
    telephony = deps.settings(request).telephony
    if deps.test_phone(request) is not None:
        return None
    if telephony.carriers:
        return "This server calls real phones through its carrier, so the test phone is off."
    return "The test phone is switched off on this server."


@router.get("/phone", response_class=HTMLResponse)
async def page(request: Request) -> Response:
    visitor = anon_id(request)
    response = deps.templates(request).TemplateResponse(
        request,
        "phone.html",
        {"title": "test phone", "unavailable": _why_not(request), "range": RANGE_TEXT},
        headers=MICROPHONE,  # the tab talks through the microphone
    )
    if visitor.new:
        remember_anon_id(response, request, visitor.value)
    return response


def same_origin(websocket: WebSocket) -> bool:
    """Whether the page that opens the websocket is one of this host's."""
    origin = urlsplit(websocket.headers.get("origin", ""))
    host = websocket.headers.get("host", "")
    return origin.scheme in ("http", "https") and bool(host) and origin.netloc == host


@router.websocket("/api/phone/line")
async def line_socket(websocket: WebSocket) -> None:
    if not same_origin(websocket):
        await websocket.close(POLICY_VIOLATION, "open the test phone from this site's /phone")
        return
    try:
        owner = anon_ref(cookies.read(websocket, ANON_COOKIE))
    except InvalidInput:
        await websocket.close(POLICY_VIOLATION, "open /phone first (it sets the browser's id)")
        return
    await websocket.accept()
    settings = websocket.app.state.settings
    phone: TestPhone | None = deps.test_phone(websocket)
    sending = asyncio.Lock()

    async def notify(message: dict[str, Any]) -> None:
        async with sending:
            await websocket.send_json(message)

    if phone is None:
        await notify({"type": "error", "message": "the test phone is off on this server"})
        await websocket.close(TRY_AGAIN_LATER)
        return
    ip = client_ip(websocket.scope, settings.web.trusted_proxies)
    try:
        line = await phone.register(keyed_ref(owner, settings.signing_key()), ip, notify)
    except RingfenceError as exc:
        await notify({"type": "error", "message": exc.message})
        await websocket.close(TRY_AGAIN_LATER)
        return
    try:
        await notify({"type": "line", "number": line.number, "display": spoken(line.number)})
        while True:
            text = await websocket.receive_text()
            if len(text) > MAX_MESSAGE:
                await websocket.close(POLICY_VIOLATION, "message too long")
                return
            await _handle(phone, line, text, notify)
    except WebSocketDisconnect:
        pass
    finally:
        await phone.unregister(line)


async def _handle(phone: TestPhone, line: Line, text: str, notify: Any) -> None:
    """One message from the tab; a refusal goes back to it as an ``error``."""
    call = ""
    try:
        try:
            message = json.loads(text)
        except ValueError:
            raise InvalidInput("messages are JSON objects") from None
        if not isinstance(message, dict):
            raise InvalidInput("messages are JSON objects")
        kind = message.get("type")
        call = str(message.get("call") or "")[:64]
        if kind == "dial":
            await phone.dial(line, str(message.get("number") or "")[:40], _sdp(message))
        elif kind == "answer":
            await phone.answer(line, call, _sdp(message))
        elif kind == "hangup":
            await phone.hang_up(line, call)
        elif kind == "dtmf":
            phone.dtmf(line, call, str(message.get("digit") or "")[:1])
        else:
            raise InvalidInput("unknown message type")
    except RingfenceError as exc:
        await notify({"type": "error", "call": call, "message": exc.message})


def _sdp(message: dict[str, Any]) -> str:
    sdp = message.get("sdp")
    if not isinstance(sdp, str):
        raise InvalidInput("the message has no SDP offer")
    return sdp
