"""roulette's section of the operator console (``/admin/roulette``, mounted by the composition
behind the console's operator check): the addresses people reported, with how many reports and
from how many different addresses, their bans, and a button that lifts one. Only keyed hashes
of addresses are shown; what was said is never stored, so it cannot be shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.errors import NotFound, RingfenceError
from ringfence.http.console import audit, done, render
from ringfence.http.deps import OperatorLoginDep, PrivacyDep
from ringfence.http.forms import submit
from ringfence.services.roulette.bans import Bans

TITLE = "Roulette: bans and reports"
router = APIRouter(include_in_schema=False)


def _bans(request: Request) -> Bans:
    """The hub's own bans, so a lift also clears this process's cache of the address."""
    bans: Bans = request.app.state.roulette.bans
    return bans


async def _page(
    request: Request, login: OperatorLoginDep, *, error: str | None = None, status: int = 200
) -> Response:
    reported = await _bans(request).reported()
    context = {
        "banned": [r for r in reported if r.banned_until is not None],
        "reported": reported,
        "ban_days": _bans(request).length.days,
        "error": error,
    }
    return render(request, login, "roulette/admin.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def section(request: Request, login: OperatorLoginDep) -> Response:
    return await _page(request, login)


@router.post("/lift")
async def lift(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    csrf: Annotated[str, Form(max_length=100)],
    address: Annotated[str, Form(max_length=80)],
) -> Response:
    async def act() -> Response:
        async with privacy.db.session() as session:
            lifted = await _bans(request).lift(session, address)
            if not lifted:
                raise NotFound("that address is not banned now")
            audit(
                session,
                request,
                login,
                "admin.roulette.ban_lifted",
                category="roulette_ban",
                subject_ref=address,
                bans=lifted,
            )
        return done("/admin/roulette", "lifted")

    async def again(exc: RingfenceError) -> Response:
        return await _page(request, login, error=exc.message, status=exc.http_status)

    return await submit(request, csrf, login, act, again)
