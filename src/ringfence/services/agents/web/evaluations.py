"""HTTP edge of evaluation calls (CallScore): the JSON API, the published rubric, and the
pages with each report and each number's scores over time."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from ringfence.accounts.service import Login
from ringfence.errors import Forbidden, NotFound, RingfenceError
from ringfence.http.deps import (
    CsrfHeader,
    LoginDep,
    check_csrf,
    check_csrf_header,
)
from ringfence.http.instances import per_app
from ringfence.services.agents.evaluations.scoring import rubric
from ringfence.services.agents.evaluations.service import Evaluations
from ringfence.services.agents.evaluations.shopper import QUESTIONS
from ringfence.services.agents.web.api import agents_of
from ringfence.services.agents.web.pages import render
from ringfence.tenants.roles import PERMISSIONS

router = APIRouter(tags=["agents"])
Csrf = Annotated[str, Form(max_length=100)]
CHART_W, CHART_H = 320, 120


def evaluations_of(request: Request) -> Evaluations:
    return per_app(
        request,
        Evaluations,
        lambda s: Evaluations(s.settings, s.db, s.privacy.clock, s.queue.enqueue),
    )


class EvaluationIn(BaseModel):
    number: str = Field(max_length=40, description="The business's own number to call.")
    business: str = Field(min_length=1, max_length=120, description="Its name, as callers hear it.")
    questions: list[str] = Field(
        default_factory=lambda: list(QUESTIONS), description="Some of: price, hours, appointment."
    )
    service: str = Field("a visit", max_length=80, description="What the price question asks of.")


@router.get("/agents/callscore/rubric/{version}")
async def published_rubric(version: str) -> JSONResponse:
    """The rubric a report was scored with, as published (every report names its version)."""
    try:
        return JSONResponse(rubric(version))
    except KeyError:
        raise NotFound(f"no CallScore rubric version {version[:10]!r}") from None


@router.post("/api/tenants/{tenant_id}/evaluations", status_code=202)
async def request_evaluation(
    request: Request, login: LoginDep, tenant_id: str, body: EvaluationIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, Any]:  # fmt: skip
    """Call the number as a mystery shopper; the report is ready when ``state`` is done."""
    account = check_csrf_header(login, x_csrf_token)
    return await evaluations_of(request).request(
        account, tenant_id, body.number, body.business, body.questions, body.service
    )


@router.get("/api/tenants/{tenant_id}/evaluations")
async def list_evaluations(request: Request, login: LoginDep, tenant_id: str) -> dict[str, Any]:
    return {"evaluations": await evaluations_of(request).all(login.account, tenant_id)}


@router.get("/api/tenants/{tenant_id}/evaluations/{evaluation_id}")
async def get_evaluation(
    request: Request, login: LoginDep, tenant_id: str, evaluation_id: str
) -> dict[str, Any]:
    """The report: every signal with its evidence, the rubric version, the score, and the
    number's earlier scores."""
    return await evaluations_of(request).get(login.account, tenant_id, evaluation_id)


def charts(evaluations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per number, its scores oldest first as an SVG polyline's points (0-100 up the side)."""
    by_number: dict[str, list[dict[str, Any]]] = {}
    for e in reversed(evaluations):
        if e["score"] is not None:
            by_number.setdefault(e["number"], []).append(e)
    out = []
    for number, done in by_number.items():
        step = CHART_W / max(1, len(done) - 1)
        points = " ".join(
            f"{i * step:.0f},{CHART_H - e['score'] / 100 * CHART_H:.0f}" for i, e in enumerate(done)
        )
        out.append({"number": number, "points": points, "scores": [e["score"] for e in done],
                    "business": done[-1]["business"]})  # fmt: skip
    return out


async def _list_page(
    request: Request, login: Login, tenant_id: str, error: str = "", status: int = 200
) -> Response:
    service = agents_of(request)
    role = await service.tenants.role(login.account, tenant_id, "calls.read")
    evaluations = await evaluations_of(request).all(login.account, tenant_id)
    context = {
        "tenant_id": tenant_id, "business": await service.business_name(tenant_id),
        "can": PERMISSIONS[role], "csrf": login.session.csrf, "error": error,
        "evaluations": evaluations, "charts": charts(evaluations), "questions": QUESTIONS,
        "width": CHART_W, "height": CHART_H,
    }  # fmt: skip
    return render(request, "evaluations", context, status)


@router.get(
    "/agents/b/{tenant_id}/evaluations", response_class=HTMLResponse, include_in_schema=False
)
async def evaluations_page(request: Request, login: LoginDep, tenant_id: str) -> Response:
    return await _list_page(request, login, tenant_id)


@router.post("/agents/b/{tenant_id}/evaluations", include_in_schema=False)
async def new_evaluation(
    request: Request,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    number: Annotated[str, Form(max_length=40)],
    business: Annotated[str, Form(max_length=120)],
    questions: Annotated[list[str] | None, Form()] = None,
) -> Response:
    check_csrf(request, csrf, login)
    try:
        await evaluations_of(request).request(
            login.account, tenant_id, number, business, questions or []
        )
    except Forbidden:
        raise
    except RingfenceError as exc:
        return await _list_page(request, login, tenant_id, exc.message, exc.http_status)
    return RedirectResponse(f"/agents/b/{tenant_id}/evaluations", status_code=303)


@router.get(
    "/agents/b/{tenant_id}/evaluations/{evaluation_id}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def evaluation_page(
    request: Request, login: LoginDep, tenant_id: str, evaluation_id: str
) -> Response:
    service = agents_of(request)
    await service.tenants.role(login.account, tenant_id, "calls.read")
    context = {
        "tenant_id": tenant_id,
        "business": await service.business_name(tenant_id),
        "e": await evaluations_of(request).get(login.account, tenant_id, evaluation_id),
    }
    return render(request, "evaluation", context)
