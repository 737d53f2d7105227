"""The platform's cookies, named for the request's scheme: the one place that says a cookie's name.

Over HTTPS (``request.url.scheme``, which uvicorn takes from ``X-Forwarded-Proto`` only when the
peer is a trusted proxy) a cookie is ``__Host-<name>`` and ``Secure``: the browser then accepts it
only from a secure origin, for the whole host (``Path=/``, no ``Domain``), so neither a sibling
subdomain nor a plain-HTTP page can plant or overwrite it (RFC 6265bis section 4.1.3.2). Over
plain HTTP (a default install on localhost) the plain name, so that install works.
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import HTTPConnection
from starlette.responses import Response

HOST_PREFIX = "__Host-"


def is_https(request: HTTPConnection) -> bool:
    return request.url.scheme in ("https", "wss")


def name(request: HTTPConnection, base: str) -> str:
    """The name the cookie ``base`` has on this request's scheme."""
    return HOST_PREFIX + base if is_https(request) else base


def read(request: HTTPConnection, base: str, default: str = "") -> str:
    return request.cookies.get(name(request, base), default)


def write(
    response: Response,
    request: HTTPConnection,
    base: str,
    value: str,
    *,
    max_age: int | None = None,
    httponly: bool = True,
    samesite: Literal["lax", "strict", "none"] = "lax",
) -> None:
    response.set_cookie(
        name(request, base),
        value,
        max_age=max_age,
        path="/",
        httponly=httponly,
        samesite=samesite,
        secure=is_https(request),
    )


def delete(response: Response, request: HTTPConnection, base: str) -> None:
    secure = is_https(request)
    response.delete_cookie(name(request, base), path="/", secure=secure, httponly=True)
