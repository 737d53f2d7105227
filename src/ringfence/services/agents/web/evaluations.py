"""HTTP edge of evaluation calls (CallScore): the JSON API, the published rubric, and the
pages with each report and each number's scores over time."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from ringfence.accounts.service import Login
from ringfence.errors import NotFound, RingfenceError
from ringfence.http.deps import CsrfHeader, LoginDep, check_csrf_header
from ringfence.http.forms import see_other, submit
from ringfence.http.negotiation import wants_html
from ringfence.services.agents.evaluations.scoring import rubric
from ringfence.services.agents.evaluations.service import KEEP_DAYS, Evaluations
from ringfence.services.agents.evaluations.shopper import QUESTIONS
from ringfence.services.agents.service import Agents
from ringfence.services.agents.web.deps import AgentsDep, Csrf, EvaluationsDep, Page, PageDep
from ringfence.tenants.roles import PERMISSIONS

router = APIRouter(tags=["agents"])
CHART_W, CHART_H = 320, 120


class EvaluationIn(BaseModel):
    number: str = Field(max_length=40, description="The business's own number to call.")
    business: str = Field(min_length=1, max_length=120, description="Its name, as callers hear it.")
    questions: list[str] = Field(
        default_factory=lambda: list(QUESTIONS), description="Some of: price, hours, appointment."
    )
    service: str = Field("a visit", max_length=80, description="What the price question asks of.")


@router.get("/agents/callscore/rubric/{version}")
async def published_rubric(
    page: PageDep,
    version: str,
    fmt: Annotated[
        Literal["json", "html"] | None,
        Query(alias="format", description="json or html; by default what the Accept header asks"),
    ] = None,
) -> Response:
    """The rubric a report was scored with, as published (every report names its version): a
    page for a browser, the JSON document otherwise."""
    try:
        published = rubric(version)
    except KeyError:
        raise NotFound(f"no CallScore rubric version {version[:10]!r}") from None
    if fmt == "json" or (fmt is None and not wants_html(page.request)):
        return JSONResponse(published)
    context = {
        "rubric": published,
        "published": dt.date.fromisoformat(published["published"]),
        "total": sum(s["weight"] for s in published["signals"]),
    }
    return page.render("rubric", context)


@router.post("/api/tenants/{tenant_id}/evaluations", status_code=202)
async def request_evaluation(
    evaluations: EvaluationsDep,
    login: LoginDep,
    tenant_id: str,
    body: EvaluationIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, Any]:
    """Call the number as a mystery shopper; the report is ready when ``state`` is done."""
    account = check_csrf_header(login, x_csrf_token)
    return await evaluations.request(
        account, tenant_id, body.number, body.business, body.questions, body.service
    )


@router.get("/api/tenants/{tenant_id}/evaluations")
async def list_evaluations(
    evaluations: EvaluationsDep, login: LoginDep, tenant_id: str
) -> dict[str, Any]:
    return {"evaluations": await evaluations.all(login.account, tenant_id)}


@router.get("/api/tenants/{tenant_id}/evaluations/{evaluation_id}")
async def get_evaluation(
    evaluations: EvaluationsDep, login: LoginDep, tenant_id: str, evaluation_id: str
) -> dict[str, Any]:
    """The report: every signal with its evidence, the rubric version, the score, and the
    number's earlier scores."""
    return await evaluations.get(login.account, tenant_id, evaluation_id)


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
    page: Page,
    agents: Agents,
    evaluations: Evaluations,
    login: Login,
    tenant_id: str,
    refused: RingfenceError | None = None,
) -> Response:
    role = await agents.tenants.role(login.account, tenant_id, "calls.read")
    done = await evaluations.all(login.account, tenant_id)
    context = {
        "tenant_id": tenant_id, "business": await agents.business_name(tenant_id),
        "can": PERMISSIONS[role], "csrf": login.session.csrf,
        "evaluations": done, "charts": charts(done), "questions": QUESTIONS,
        "width": CHART_W, "height": CHART_H, "keep_days": KEEP_DAYS,
    }  # fmt: skip
    return page.render("evaluations", context, refused)


@router.get(
    "/agents/b/{tenant_id}/evaluations", response_class=HTMLResponse, include_in_schema=False
)
async def evaluations_page(
    page: PageDep,
    agents: AgentsDep,
    evaluations: EvaluationsDep,
    login: LoginDep,
    tenant_id: str,
) -> Response:
    return await _list_page(page, agents, evaluations, login, tenant_id)


@router.post("/agents/b/{tenant_id}/evaluations", include_in_schema=False)
async def new_evaluation(
    page: PageDep,
    agents: AgentsDep,
    evaluations: EvaluationsDep,
    login: LoginDep,
    tenant_id: str,
    csrf: Csrf,
    number: Annotated[str, Form(max_length=40)],
    business: Annotated[str, Form(max_length=120)],
    questions: Annotated[list[str] | None, Form()] = None,
) -> Response:
    async def ask() -> Response:
        await evaluations.request(login.account, tenant_id, number, business, questions or [])
        return see_other(f"/agents/b/{tenant_id}/evaluations")

    return await submit(
        page.request,
        csrf,
        login,
        ask,
        lambda refused: _list_page(page, agents, evaluations, login, tenant_id, refused),
    )


@router.get(
    "/agents/b/{tenant_id}/evaluations/{evaluation_id}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def evaluation_page(
    page: PageDep,
    agents: AgentsDep,
    evaluations: EvaluationsDep,
    login: LoginDep,
    tenant_id: str,
    evaluation_id: str,
) -> Response:
    await agents.tenants.role(login.account, tenant_id, "calls.read")
    context = {
        "tenant_id": tenant_id,
        "business": await agents.business_name(tenant_id),
        "e": await evaluations.get(login.account, tenant_id, evaluation_id),
    }
    return page.render("evaluation", context)
