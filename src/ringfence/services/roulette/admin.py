"""roulette's section of the operator console (``/admin/roulette``, mounted by the composition
behind the console's operator check): the appeals of banned people, each with the reports
behind its ban, to uphold or lift; the addresses people reported, with how many reports, for
which reasons and from how many different addresses; their bans, and a button that lifts one.
Only keyed hashes of addresses are shown; what was said is never stored, so it cannot be
shown."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.errors import NotFound, RingfenceError
from ringfence.http.console import audit, done, render
from ringfence.http.deps import OperatorLoginDep, PrivacyDep
from ringfence.http.forms import submit
from ringfence.services.roulette.appeals import Appeals
from ringfence.services.roulette.bans import Bans

TITLE = "Roulette: bans and reports"
router = APIRouter(include_in_schema=False)


def _bans(request: Request) -> Bans:
    """The hub's own bans, so a lift also clears this process's cache of the address."""
    bans: Bans = request.app.state.roulette.bans
    return bans


def _appeals(request: Request) -> Appeals:
    appeals: Appeals = request.app.state.roulette.appeals
    return appeals


async def _page(
    request: Request, login: OperatorLoginDep, *, error: str | None = None, status: int = 200
) -> Response:
    reported = await _bans(request).reported()
    context = {
        "banned": [r for r in reported if r.banned_until is not None],
        "reported": reported,
        "ban_days": _bans(request).length.days,
        "appeals": await _appeals(request).to_review(),
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


@router.post("/appeals/{appeal_id}")
async def decide(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    appeal_id: str,
    csrf: Annotated[str, Form(max_length=100)],
    decision: Annotated[str, Form(max_length=10)],
) -> Response:
    """Answer an appeal: ``upheld`` (the ban stands) or ``lifted`` (the ban ends now)."""

    async def act() -> Response:
        async with privacy.db.session() as session:
            appeal = await _appeals(request).decide(session, appeal_id, decision)
            audit(
                session,
                request,
                login,
                f"admin.roulette.appeal_{decision}",
                category="roulette_appeal",
                subject_ref=appeal.ip_key,
                appeal=appeal.id,
            )
        return done("/admin/roulette", decision)

    async def again(exc: RingfenceError) -> Response:
        return await _page(request, login, error=exc.message, status=exc.http_status)

    return await submit(request, csrf, login, act, again)
