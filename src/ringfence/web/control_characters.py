"""Text with control characters is refused at the edge, before any route sees it.

A NUL, another C0 control character (tab, line feed and carriage return are text) or a lone
UTF-16 surrogate (``"\\ud800"`` in JSON) in the path, a query parameter, a JSON string (keys
included) or a form field is answered 422 naming the field. PostgreSQL cannot store a NUL or a
lone surrogate in ``text`` (it raised a 500); SQLite would store it and hand it back to pages and
logs. Checking once here holds the same on both engines for every route, the services' included.

The body is read in full first: it is a form or JSON body under ``web.max_body_bytes``
(``web/body_limit`` runs outside this and caps it), and it is handed on to the app unchanged.
Uploads (``ringfence.http.bodies.upload``) and mounted apps are streamed past unread.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringfence.web.body_limit import KIND_SCOPE_KEY
from ringfence.web.errors import refuse

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
MAX_DEPTH = 64


class Refused(Exception):
    """What is wrong, naming the field; answered 422."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_text(field: str, value: str) -> None:
    found = FORBIDDEN.search(value)
    if found is not None:
        shown = f"U+{ord(found.group()):04X}"
        raise Refused(f"{field[:80]}: contains a control character ({shown}); remove it")


def check_json(value: Any, where: str = "body") -> None:
    """Every string in a parsed JSON document, keys included; depth bounded, no recursion."""
    stack: list[tuple[str, Any, int]] = [(where, value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Refused(f"{path[:80]}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, str):
            check_text(path, item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                check_text(f"{path} (a key)", key)
                stack.append((f"{path}.{key}", inner, depth + 1))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", inner, depth + 1) for i, inner in enumerate(item))


def _media_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return str(value.decode("latin-1")).split(";", 1)[0].strip().lower()
    return ""


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class ControlCharacters:
    """Pure ASGI middleware: 422 for control characters in the path, query, JSON or form."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(KIND_SCOPE_KEY) == "mount":
            await self.app(scope, receive, send)
            return
        try:
            check_text("path", scope["path"])
            query = scope.get("query_string", b"").decode("utf-8", "surrogateescape")
            for name, value in parse_qsl(query, keep_blank_values=True):
                check_text("a query parameter's name", name)
                check_text(name, value)
        except Refused as exc:
            await refuse(scope, receive, send, 422, "invalid_input", exc.message)
            return
        media_type = _media_type(scope)
        reads_body = _is_json(media_type) or media_type in FORMS
        if scope.get(KIND_SCOPE_KEY) == "upload" or not reads_body:
            await self.app(scope, receive, send)
            return
        body = await _read_all(receive)
        replay = _replay(body, receive)
        try:
            if _is_json(media_type):
                _check_json_body(body)
            else:
                await _check_form(scope, body)
        except Refused as exc:
            await refuse(scope, receive, send, 422, "invalid_input", exc.message)
            return
        await self.app(scope, replay, send)


def _check_json_body(body: bytes) -> None:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: the route's own parsing refuses it with its message
    check_json(document)


async def _check_form(scope: Scope, body: bytes) -> None:
    request = Request(scope, _replay(body, None))
    try:
        form = await request.form(max_files=100, max_fields=1000)
    except Exception:  # noqa: BLE001 - a malformed form is the route's to refuse, not ours
        return
    try:
        for name, value in form.multi_items():
            check_text("a form field's name", name)
            if isinstance(value, UploadFile):
                check_text(f"{name} (file name)", value.filename or "")
            else:
                check_text(name, value)
    finally:
        await form.close()


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # a disconnect: the app sees an empty body and ends
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive | None) -> Receive:
    """A receive that yields the read body once, then waits on the real one (for disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if receive is None:
            return {"type": "http.disconnect"}
        return await receive()

    return replay
