"""``/api/captcha``: a fresh proof-of-work challenge for the ALTCHA widget (served from
``/static/vendor/altcha``, no third-party script)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ringfence.abuse.captcha import Captcha
from ringfence.http.instances import per_app

router = APIRouter(tags=["abuse"])


def captcha_of(request: Request) -> Captcha:
    return per_app(
        request,
        Captcha,
        lambda s: Captcha(s.settings.captcha, s.settings.signing_key(), s.privacy.clock),
    )


@router.get("/api/captcha")
async def challenge(request: Request, response: Response) -> dict[str, Any]:
    """A signed challenge; solve it (find the number) and send the solution with the request
    it protects. Each solution is accepted once."""
    response.headers["Cache-Control"] = "no-store"
    return captcha_of(request).challenge()
