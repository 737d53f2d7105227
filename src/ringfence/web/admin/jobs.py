"""``/admin/jobs``: the background jobs this installation runs, how many wait, and the jobs
whose retries ran out, each of which the operator may queue again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.errors import RingfenceError
from ringfence.http.console import audit, done, render
from ringfence.http.deps import OperatorLoginDep, PrivacyDep, QueueDep
from ringfence.http.forms import submit
from ringfence.jobs import JobQueue
from ringfence.privacy.core import Privacy

router = APIRouter(include_in_schema=False)


async def _page(
    request: Request,
    login: OperatorLoginDep,
    queue: JobQueue,
    privacy: Privacy,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "jobs": queue.specs(),
        "backend": queue.backend,
        "pending": queue.pending(),
        "failures": await queue.failures(privacy.db),
        "error": error,
    }
    return render(request, login, "admin/jobs.html", context, status=status)


@router.get("/admin/jobs", response_class=HTMLResponse)
async def jobs(
    request: Request, login: OperatorLoginDep, queue: QueueDep, privacy: PrivacyDep
) -> Response:
    return await _page(request, login, queue, privacy)


@router.post("/admin/jobs/{failure_id}/retry")
async def retry(
    request: Request,
    login: OperatorLoginDep,
    queue: QueueDep,
    privacy: PrivacyDep,
    failure_id: str,
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    async def act() -> Response:
        task = await queue.retry_failure(privacy.db, failure_id)
        async with privacy.db.session() as session:
            audit(session, request, login, "admin.job.retried", failure=failure_id, task=task)
        return done("/admin/jobs", "retried")

    async def again(exc: RingfenceError) -> Response:
        return await _page(
            request, login, queue, privacy, error=exc.message, status=exc.http_status
        )

    return await submit(request, csrf, login, act, again)
