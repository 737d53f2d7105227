"""The request-body cap, applied before anything reads the body.

A ``Content-Length`` over the cap is answered 413 at once, without reading a byte of the body
(uvicorn then closes the connection rather than drain it). A body without a length (chunked) is
counted as it streams in and cut at the cap: reading past it raises ``TooLarge``, answered 413
when no response has started. Routes marked ``ringfence.http.bodies.upload`` (a contact list's
CSV, a voice sample, Stripe's webhook) have the larger upload cap; the mounted Socket.IO server
keeps its own buffer cap (``max_http_buffer_size``), so mounts are left alone.
"""

from __future__ import annotations

from typing import Literal

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringfence.errors import TooLarge
from ringfence.http.bodies import takes_upload
from ringfence.web.errors import refuse

Kind = Literal["form", "upload", "mount"]
# Set on the scope for the middleware inside (``web/control_characters``).
KIND_SCOPE_KEY = "ringfence.body_kind"


class BodyLimit:
    """Pure ASGI middleware: ``default`` bytes for any body, ``upload`` for upload routes."""

    def __init__(self, app: ASGIApp, *, routes: list[BaseRoute], default: int, upload: int) -> None:
        self.app = app
        self.routes = routes
        self.default = default
        self.upload = upload

    def kind_of(self, scope: Scope) -> Kind:
        """What the request's route takes: a form or JSON, an upload, or a mount's own body."""
        return _kind_in(self.routes, scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = self.kind_of(scope)
        scope[KIND_SCOPE_KEY] = kind
        if kind == "mount":
            await self.app(scope, receive, send)
            return
        limit = self.upload if kind == "upload" else self.default
        length = _content_length(scope)
        if length is not None and length > limit:
            await refuse(scope, receive, send, 413, "too_large", _message(limit), close=True)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge(_message(limit))
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except TooLarge:
            if started:
                raise
            await refuse(scope, receive, send, 413, "too_large", _message(limit), close=True)


def _kind_in(routes: list[BaseRoute], scope: Scope) -> Kind:
    """The first route that matches, as the router picks it. FastAPI keeps an included router
    as one route (``original_router``) whose own routes hold the endpoints: look inside."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is not Match.FULL:
            continue
        if isinstance(route, Mount):
            return "mount"  # static files take no body; Socket.IO caps its own
        included = getattr(route, "original_router", None)
        if included is not None:
            return _kind_in(included.routes, scope)
        return "upload" if takes_upload(getattr(route, "endpoint", None)) else "form"
    return "form"


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # h11 refuses a malformed length before we see it
    return None


def _message(limit: int) -> str:
    return f"the request body is larger than {_size(limit)}, the most this address accepts"


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"
