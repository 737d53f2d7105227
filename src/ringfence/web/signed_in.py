"""Every page shows who is signed in: for a browser's request of a page, the session cookie is
looked up before the route runs (``deps.current``, once per request), so the layout
(``base.html``) can say "Your account" and "Sign out", or "Sign in", on any page, error pages
included. API calls, static files and requests without a session cookie cost nothing."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ringfence.http import cookies, deps
from ringfence.http.negotiation import wants_html


class SignedIn:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            if wants_html(request) and cookies.read(request, deps.SESSION_COOKIE):
                await deps.current(request)
        await self.app(scope, receive, send)
