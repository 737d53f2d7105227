"""The privacy policy pages, rendered from the inventory: ``/privacy``, ``/<service>/privacy``,
``/privacy.json`` and the live ``/privacy/now``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ringfence import composition
from ringfence.errors import NotFound
from ringfence.http import deps
from ringfence.privacy import policy

router = APIRouter(tags=["privacy"])


async def _document(request: Request, service: str | None) -> dict[str, Any]:
    privacy = deps.privacy(request)
    async with privacy.db.session() as session:
        stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
        versions = await policy.history(session)
    hidden = composition.disabled(privacy.settings)
    return policy.document(
        privacy.inventory,
        privacy.settings.privacy,
        stamp,
        service=service,
        hidden=hidden,
        versions=versions,
    )


def _render(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    templates = deps.templates(request)
    return templates.TemplateResponse(request, name, context)


@router.get("/privacy", response_class=HTMLResponse, include_in_schema=False)
async def platform_policy(request: Request) -> HTMLResponse:
    doc = await _document(request, None)
    context = {"title": "Privacy policy", "doc": doc, "sections": policy.SECTION_TITLES}
    return _render(request, "privacy/policy.html", context)


@router.get("/privacy.json")
async def policy_json(request: Request, service: str | None = None) -> JSONResponse:
    """The privacy policy as data: every category, why, how long, who receives it."""
    if service is not None and service not in request.app.state.service_names:
        raise NotFound(f"no service {service!r}")
    return JSONResponse(await _document(request, service))


@router.get("/privacy/now", response_class=HTMLResponse, include_in_schema=False)
async def now_page(request: Request) -> HTMLResponse:
    rows = await _holdings(request)
    return _render(request, "privacy/now.html", {"title": "What we hold now", "rows": rows})


@router.get("/privacy/now.json")
async def now_json(request: Request) -> list[dict[str, Any]]:
    """How many records of each category are held right now, and when the oldest expires."""
    return await _holdings(request)


async def _holdings(request: Request) -> list[dict[str, Any]]:
    privacy = deps.privacy(request)
    async with privacy.db.session() as session:
        found = await policy.holdings(session, privacy.inventory, privacy.clock.now())
    return [
        {
            "category": h.category.name,
            "title": h.category.title,
            "records": h.records,
            "retention": h.category.retention.plain,
            "oldest_expires": h.oldest_expires.isoformat() if h.oldest_expires else None,
        }
        for h in found
    ]


def service_policy_router(service: str) -> APIRouter:
    """``/<service>/privacy``: the platform's categories and the service's own."""
    service_router = APIRouter()

    @service_router.get(f"/{service}/privacy", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        doc = await _document(request, service)
        title = f"Privacy policy: {service}"
        context = {"title": title, "doc": doc, "sections": policy.SECTION_TITLES}
        return _render(request, "privacy/policy.html", context)

    return service_router
