"""Server-rendered pages: the templates of the core and of every service, and the home page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.templating import Jinja2Templates

from ringfence import __version__

WEB_DIR = Path(__file__).parent
SERVICES_DIR = WEB_DIR.parent / "services"


@dataclass(frozen=True)
class ServiceLink:
    """How a service appears on the home page."""

    name: str
    title: str
    path: str
    summary: str


def make_templates() -> Jinja2Templates:
    # Each service keeps its templates in services/<name>/templates/<name>/, so a page is named
    # "<name>/<page>.html" and extends the core's "base.html".
    service_dirs = sorted(SERVICES_DIR.glob("*/templates"))
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(WEB_DIR / "templates"), *(FileSystemLoader(d) for d in service_dirs)]
        ),
        autoescape=select_autoescape(["html"]),
    )
    env.globals["version"] = __version__
    return Jinja2Templates(env=env)


def home_router(services: list[ServiceLink]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        templates: Jinja2Templates = request.app.state.templates
        return templates.TemplateResponse(
            request,
            "home.html",
            {"services": services, "title": request.app.state.settings.web.title},
        )

    return router
