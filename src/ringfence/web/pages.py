"""Server-rendered pages: the templates of the core and of the enabled services, and the home
page that links to each service."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.templating import Jinja2Templates

from ringfence import __version__
from ringfence.http import deps
from ringfence.manifest import ServiceSpec

WEB_DIR = Path(__file__).parent


def package_dir(spec: ServiceSpec, name: str) -> Path | None:
    """A service's own ``templates`` or ``static`` folder, when it has one."""
    found = Path(str(files(spec.package) / name))
    return found if found.is_dir() else None


def make_templates(services: Iterable[ServiceSpec]) -> Jinja2Templates:
    # Each service keeps its templates in <package>/templates/<name>/, so a page is named
    # "<name>/<page>.html" and extends the core's "base.html".
    service_dirs = [d for d in (package_dir(s, "templates") for s in services) if d is not None]
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(WEB_DIR / "templates"), *(FileSystemLoader(d) for d in service_dirs)]
        ),
        autoescape=select_autoescape(["html"]),
    )
    env.globals["version"] = __version__
    return Jinja2Templates(env=env)


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
