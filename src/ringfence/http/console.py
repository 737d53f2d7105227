"""What every page of the operator console shares, the core's (``web/admin``) and the
services' sections (``ServiceSpec.admin``) alike: the layout's context (the sections, the
session's CSRF token, the notice of the last action), the audit entry of an action, and the
redirect after a form."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence import composition
from ringfence.accounts.service import Login
from ringfence.errors import InvalidInput
from ringfence.http import deps
from ringfence.http.forms import see_other

# The core's sections: (path under /admin, title).
SECTIONS = (
    ("", "Overview"),
    ("carriers", "Carriers"),
    ("rates", "Rates and prices"),
    ("users", "Users"),
    ("tenants", "Businesses"),
    ("rights", "Rights requests"),
    ("retention", "Retention"),
    ("breaches", "Breaches"),
    ("jobs", "Jobs"),
    ("outbox", "Outbox"),
)
# What a form's redirect may announce (``?done=<key>``): fixed texts, never echoed input.
NOTICES = {
    "granted": "Credit granted.",
    "refunded": "Credit refunded.",
    "suspended": "Suspended.",
    "reinstated": "Reinstated.",
    "closed": "The business is closed: its agents stopped; its data is deleted when its "
    "retention ends.",
    "deleted": "The account and its data were erased (legal holds kept).",
    "price-set": "Price saved: calls are charged at it from now on.",
    "quota-set": "Quota saved: it counts this month's minutes from now on.",
    "price-removed": "Price removed: the rate table's applies again.",
    "swept": "Retention sweep done.",
    "retried": "The job was queued again.",
    "lifted": "Ban lifted.",
    "upheld": "Appeal answered: the ban stands.",
}


def done(url: str, notice: str) -> Response:
    """After an action: back to ``url`` (a GET), announcing ``NOTICES[notice]``."""
    assert notice in NOTICES
    joiner = "&" if "?" in url else "?"
    return see_other(f"{url}{joiner}done={notice}")


def minor_units(amount: str, *, zero: bool = False) -> int:
    """``"5"`` or ``"5.20"`` (the currency's major unit) in minor units (cents); InvalidInput
    for anything else, and for 0 unless ``zero``."""
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        raise InvalidInput("write the amount as a number, such as 5 or 5.20") from None
    cents = value * 100
    if not value.is_finite() or cents != cents.to_integral_value():
        raise InvalidInput("write the amount with at most two decimals, such as 5.20")
    if not (0 <= cents if zero else 0 < cents) or cents > 100_000_000:
        least = "0" if zero else "more than 0"
        raise InvalidInput(f"the amount is {least} and at most 1,000,000")
    return int(cents)


def sections(request: Request) -> list[tuple[str, str]]:
    """Every section's path and title: the core's, then each enabled service's."""
    services = composition.enabled(deps.settings(request))
    core = [(f"/admin/{path}".rstrip("/"), title) for path, title in SECTIONS]
    return core + [
        (f"/admin/{name}", title) for name, title in composition.admin_sections(services)
    ]


def render(
    request: Request,
    login: Login,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> Response:
    """A console page: ``template`` extends ``admin/layout.html``."""
    done = request.query_params.get("done", "")
    return deps.templates(request).TemplateResponse(
        request,
        template,
        {
            "title": "operator console",
            "csrf": login.session.csrf,
            "operator": login,
            "sections": sections(request),
            "here": request.url.path,
            "notice": NOTICES.get(done),
            **context,
        },
        status_code=status,
    )


def audit(
    session: AsyncSession, request: Request, login: Login, action: str, **detail: Any
) -> None:
    """The operator's action, in the transaction that does it."""
    deps.privacy(request).audit.record(
        session, actor_kind="operator", actor_id=login.account.id, action=action, **detail
    )
