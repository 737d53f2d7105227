"""``/admin``: what needs the operator's attention at a glance, and the latest audit entries."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Select, func, select

from ringfence.accounts.models import OPERATOR, Account
from ringfence.http.console import render
from ringfence.http.deps import DatabaseDep, OperatorLoginDep, PrivacyDep, TelephonyDep
from ringfence.privacy.models import RightsRequest
from ringfence.store.models import JobFailure
from ringfence.tenants.models import Tenant

router = APIRouter(include_in_schema=False)
RECENT = 30


@router.get("/admin", response_class=HTMLResponse)
async def overview(
    request: Request,
    login: OperatorLoginDep,
    db: DatabaseDep,
    privacy: PrivacyDep,
    engine: TelephonyDep,
) -> Response:
    now = privacy.clock.now()

    async def count(statement: Select[int]) -> int:
        return int(await session.scalar(statement) or 0)

    async with db.session() as session:
        figures = {
            "accounts": await count(select(func.count()).select_from(Account)),
            "operators": await count(
                select(func.count()).select_from(Account).where(Account.role == OPERATOR)
            ),
            "suspended": await count(
                select(func.count()).select_from(Account).where(Account.suspended_at.is_not(None))
            ),
            "tenants": await count(select(func.count()).select_from(Tenant)),
            "open_requests": await count(
                select(func.count())
                .select_from(RightsRequest)
                .where(RightsRequest.completed_at.is_(None))
            ),
            "overdue_requests": await count(
                select(func.count())
                .select_from(RightsRequest)
                .where(RightsRequest.completed_at.is_(None), RightsRequest.answer_by < now)
            ),
            "failed_jobs": await count(
                select(func.count()).select_from(JobFailure).where(JobFailure.retried_at.is_(None))
            ),
        }
        recent = await privacy.audit.entries(session, limit=RECENT)
    return render(
        request,
        login,
        "admin/overview.html",
        {
            "figures": figures,
            "telephony": engine is not None and engine.running,
            "entries": recent,
        },
    )
