"""agents: AI phone agents for businesses. This first part: businesses (tenants) with members in
roles, and agent definitions with their knowledge base, each business's data its own."""

from __future__ import annotations

from fastapi import APIRouter

from ringfence.services.agents import pages, routes
from ringfence.web.pages import ServiceLink

service_link = ServiceLink(
    name="agents",
    title="agents",
    path="/agents",
    summary="AI phone agents for businesses: agents, their knowledge, members and roles.",
)

router = APIRouter()
router.include_router(routes.router)
router.include_router(pages.router)

__all__ = ["router", "service_link"]
