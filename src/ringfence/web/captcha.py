"""``/api/captcha``: a fresh proof-of-work challenge for the ALTCHA widget (served from
``/static/vendor/altcha``, no third-party script)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ringfence.abuse.captcha import Captcha

router = APIRouter(tags=["abuse"])


def captcha_of(request: Request) -> Captcha:
    captcha: Captcha | None = getattr(request.app.state, "captcha", None)
    if captcha is None:
        settings = request.app.state.settings
        captcha = Captcha(settings.captcha, settings.signing_key(), request.app.state.privacy.clock)
        request.app.state.captcha = captcha
    return captcha


@router.get("/api/captcha")
async def challenge(request: Request, response: Response) -> dict[str, Any]:
    """A signed challenge; solve it (find the number) and send the solution with the request
    it protects. Each solution is accepted once."""
    response.headers["Cache-Control"] = "no-store"
    return captcha_of(request).challenge()
