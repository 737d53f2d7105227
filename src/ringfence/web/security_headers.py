"""Security headers on every response: what a browser may load, frame, send and capture.

- ``Content-Security-Policy``: scripts only from this origin (``script-src 'self'``, no inline
  script, no ``eval``), no plugins, no ``<base>``, never framed (``frame-ancestors 'none'``),
  forms post only here. Styles may be inline: the vendored ALTCHA widget injects its own
  ``<style>``. ALTCHA's proof of work runs in a Worker made from a ``blob:`` URL; roulette shows
  a received image from a ``blob:`` URL. ``connect-src 'self'`` covers same-origin fetches and the
  Socket.IO websocket (CSP3: ``'self'`` matches ``ws:``/``wss:`` on the same host); STUN/TURN are
  not fetched and need nothing.
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (no page needs the
  referrer; the CSRF check reads ``Origin``).
- ``Permissions-Policy``: no microphone, camera or geolocation; a page that captures the
  microphone returns ``ringfence.http.headers.MICROPHONE`` itself. A header the response already
  has is left as it is (``/docs`` brings its own policy for the Swagger UI's inline start script).
- ``Strict-Transport-Security`` only when the request came over HTTPS (as uvicorn reports it:
  ``X-Forwarded-Proto`` counts only from a trusted proxy).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringfence.http.headers import NO_DEVICES, PERMISSIONS_POLICY

CONTENT_SECURITY_POLICY = "Content-Security-Policy"


def content_security_policy(*, script_src: str = "'self'") -> str:
    """The pages' policy; ``script_src`` lets a page add the hashes of its own inline scripts."""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {script_src}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob:",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


PAGE_POLICY = content_security_policy()
HSTS = "max-age=31536000; includeSubDomains"

DEFAULTS: tuple[tuple[str, str], ...] = (
    (CONTENT_SECURITY_POLICY, PAGE_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),  # frame-ancestors for browsers that predate CSP2
    ("Referrer-Policy", "no-referrer"),
    (PERMISSIONS_POLICY, NO_DEVICES),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


class SecurityHeaders:
    """Pure ASGI middleware: adds the defaults a response does not set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in DEFAULTS:
                    headers.setdefault(name, value)
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
