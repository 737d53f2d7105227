"""Who is asking: the anonymous id cookie (the client's IP address is ``deps.client_ip``).

The anonymous id (``rf_anon``) is random and strictly necessary: it names a visitor for their
requests about anonymous data and for per-visitor abuse limits, and carries nothing about them.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from ringfence.errors import InvalidInput
from ringfence.http import cookies
from ringfence.privacy.subjects import ANON_COOKIE, anon_ref, new_anon_id

YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class AnonId:
    """The visitor's anonymous id, and whether it is new (the response must set the cookie)."""

    value: str
    new: bool


def anon_id(request: Request) -> AnonId:
    existing = cookies.read(request, ANON_COOKIE)
    try:
        anon_ref(existing)
        return AnonId(existing, False)
    except InvalidInput:
        return AnonId(new_anon_id(), True)


def set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    """A year-long HttpOnly cookie, named for the request's scheme (``http.cookies``)."""
    cookies.write(response, request, name, value, max_age=YEAR)


def remember_anon_id(response: Response, request: Request, value: str) -> None:
    set_cookie(response, request, ANON_COOKIE, value)
