"""``/admin/outbox``: the account e-mails waiting in the outbox (``accounts.outbox``) when no
SMTP server is set, newest first, links included, so the operator can pass a confirmation link
on. Reading it is recorded in the audit log: the mails hold people's addresses and links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.accounts.outbox import Outbox
from ringfence.http.console import audit, render
from ringfence.http.deps import OperatorLoginDep, PrivacyDep, SettingsDep

router = APIRouter(include_in_schema=False)
SHOWN = 50


@router.get("/admin/outbox", response_class=HTMLResponse)
async def outbox(
    request: Request,
    login: OperatorLoginDep,
    settings: SettingsDep,
    privacy: PrivacyDep,
    to: Annotated[str, Query(max_length=254)] = "",
) -> Response:
    mails = Outbox(settings.ensure_data_dir()).newest(SHOWN, to=to or None)
    async with privacy.db.session() as session:
        audit(session, request, login, "admin.outbox.read", shown=len(mails), filtered=bool(to))
    context = {
        "mails": mails,
        "to": to,
        "smtp": settings.mail.smtp_host is not None,
        "shown": SHOWN,
    }
    return render(request, login, "admin/outbox.html", context)
