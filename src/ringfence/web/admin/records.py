"""``/admin/rights``, ``/admin/retention`` and ``/admin/breaches``: the privacy core as the
operator runs it.

Rights requests are listed with their legal deadlines (acknowledge within 5 business days;
answer within 30 days under the GDPR or 45 under the CCPA, ``privacy.rights.DEADLINES``).
Retention shows when the sweeper last ran and, per category, how many records are due now
(the sweeper's own dry run), with a button that sweeps at once. Breaches are those recorded
with ``ringfence breach record``, with the authority's 72-hour deadline and who was told.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.errors import RingfenceError
from ringfence.http.console import audit, done, render
from ringfence.http.deps import OperatorLoginDep, PrivacyDep
from ringfence.http.forms import submit
from ringfence.privacy import policy
from ringfence.privacy.breaches import Breaches, authority_due
from ringfence.privacy.retention import SWEEP
from ringfence.privacy.rights import ACK_BUSINESS_DAYS, DEADLINES, KINDS
from ringfence.tenants.rights_notices import passed_on

BY_PHONE_DAYS = 90  # how far back the console lists requests proved by phone

router = APIRouter(include_in_schema=False)


@router.get("/admin/rights", response_class=HTMLResponse)
async def rights(request: Request, login: OperatorLoginDep, privacy: PrivacyDep) -> Response:
    jurisdiction = privacy.settings.privacy.jurisdiction
    now = privacy.clock.now()
    async with privacy.db.session() as session:
        stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
        requests = await privacy.rights(stamp.version).open_requests(session)
    rows = [
        {
            "id": r.id,
            "kind": r.kind,
            "what": KINDS.get(r.kind, r.kind),
            "received": r.received_at,
            "acknowledge_by": r.acknowledge_by,
            "answer_by": r.answer_by,
            "days_left": (r.answer_by - now).days,
            "overdue": r.answer_by < now,
            "extended": r.extended,
        }
        for r in requests
    ]
    answer_days, extension = DEADLINES[jurisdiction]
    context = {
        "requests": rows,
        "jurisdiction": jurisdiction.upper(),
        "answer_days": answer_days,
        "extension_days": extension,
        "ack_days": ACK_BUSINESS_DAYS,
        "by_phone": await passed_on(privacy.db, now - dt.timedelta(days=BY_PHONE_DAYS)),
        "by_phone_days": BY_PHONE_DAYS,
        "now": now,
    }
    return render(request, login, "admin/rights.html", context)


@router.get("/admin/retention", response_class=HTMLResponse)
async def retention(request: Request, login: OperatorLoginDep, privacy: PrivacyDep) -> Response:
    return await _retention(request, login, privacy)


async def _retention(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    due = await privacy.sweeper().sweep(dry_run=True)
    async with privacy.db.session() as session:
        last = await privacy.audit.entries(session, action=SWEEP, limit=1)
    categories = {c.name: c for c in privacy.inventory}
    rows = [
        {
            "name": name,
            "title": categories[name].title,
            "retention": categories[name].retention,
            "due": count,
        }
        for name, count in sorted(due.counts.items())
    ]
    context = {
        "rows": rows,
        "total": due.total,
        "last": last[0] if last else None,
        "error": error,
    }
    return render(request, login, "admin/retention.html", context, status=status)


@router.post("/admin/retention/sweep")
async def sweep(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    async def act() -> Response:
        report = await privacy.sweeper().sweep()
        async with privacy.db.session() as session:
            audit(session, request, login, "admin.retention.swept", rows=report.total)
        return done("/admin/retention", "swept")

    async def again(exc: RingfenceError) -> Response:
        return await _retention(request, login, privacy, error=exc.message, status=exc.http_status)

    return await submit(request, csrf, login, act, again)


@router.get("/admin/breaches", response_class=HTMLResponse)
async def breaches(request: Request, login: OperatorLoginDep, privacy: PrivacyDep) -> Response:
    now = privacy.clock.now()
    titles = {c.name: c.title for c in privacy.inventory}
    async with privacy.db.session() as session:
        found = await Breaches(privacy.inventory, privacy.clock).all(session)
    rows = [
        {
            "id": b.id,
            "what": b.what,
            "found": b.found_at,
            "categories": [titles.get(name, name) for name in b.categories],
            "affected": b.subjects_affected,
            "authority_due": authority_due(b),
            "authority_late": b.authority_notified_at is None and authority_due(b) < now,
            "authority_notified": b.authority_notified_at,
            "subjects_notified": b.subjects_notified_at,
        }
        for b in found
    ]
    return render(request, login, "admin/breaches.html", {"breaches": rows})
