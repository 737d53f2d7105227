"""Server-rendered pages: the templates of the core and of the enabled services, and the home
page that links to each service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.templating import Jinja2Templates

from ringfence import __version__, humanize
from ringfence.http import deps
from ringfence.manifest import ServiceSpec

WEB_DIR = Path(__file__).parent


def package_dir(spec: ServiceSpec, name: str) -> Path | None:
    """A service's own ``templates`` or ``static`` folder, when it has one."""
    found = Path(str(files(spec.package) / name))
    return found if found.is_dir() else None


def make_templates(
    services: Iterable[ServiceSpec], site_title: str = "ringfence", *, test_phone: bool = False
) -> Jinja2Templates:
    """The one templates environment of every page. Each service keeps its templates in
    <package>/templates/<name>/, so a page is named "<name>/<page>.html" and extends the core's
    "base.html", whose navigation links the enabled ``services`` (and the test phone while it is
    the carrier) and says who is signed in (with the console for an operator)."""
    services = list(services)
    service_dirs = [d for d in (package_dir(s, "templates") for s in services) if d is not None]
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(WEB_DIR / "templates"), *(FileSystemLoader(d) for d in service_dirs)]
        ),
        autoescape=select_autoescape(["html"]),
    )
    env.globals["version"] = __version__
    env.globals["site_title"] = site_title
    env.globals["nav_services"] = services
    env.globals["test_phone"] = test_phone
    env.filters["human_duration"] = human_duration
    env.filters["human_date"] = human_date
    return Jinja2Templates(env=env, context_processors=[signed_in])


def signed_in(request: Request) -> dict[str, Any]:
    """The layout's "Your account / Sign out" or "Sign in": the login the request resolved
    (``ringfence.web.signed_in`` looks it up for every page a browser asks for)."""
    return {"signed_in": getattr(request.state, "login", None)}


def page_locale(context: Context) -> humanize.Locale:
    """The reader's locale: the ``Accept-Language`` of the request the page answers."""
    request = context.get("request")
    header = request.headers.get("accept-language") if isinstance(request, Request) else None
    return humanize.locale_for(header)


@pass_context
def human_duration(
    context: Context,
    value: float | dt.timedelta,
    unit: Literal["seconds", "days"] = "seconds",
    style: humanize.Style = "long",
) -> str:
    """``{{ 2557 | human_duration("days") }}`` is "7 years" (in the reader's language)."""
    seconds = (
        value * humanize.DAY if unit == "days" and not isinstance(value, dt.timedelta) else value
    )
    return humanize.duration(seconds, page_locale(context), style)


@pass_context
def human_date(context: Context, value: dt.datetime | dt.date | str | None) -> str:
    """``{{ receipt.issued_at | human_date }}``: a date or a moment (UTC) in the reader's locale.

    An ISO 8601 string (as JSON documents carry them) is read first; ``None`` is an empty string.
    """
    if value is None:
        return ""
    moment = _from_iso(value) if isinstance(value, str) else value
    return humanize.date(moment, page_locale(context))


def home_router(services: list[ServiceSpec]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        templates = deps.templates(request)
        return templates.TemplateResponse(
            request,
            "home.html",
            {"services": services, "title": deps.settings(request).web.title},
        )

    return router


def _from_iso(text: str) -> dt.datetime | dt.date:
    """A date ("2026-12-02") stays a date; anything longer is a moment."""
    return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
