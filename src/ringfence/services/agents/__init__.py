"""agents: AI phone agents for businesses: businesses (tenants) with members in roles, agent
definitions with their knowledge base, the inbound receptionist on live calls, and the calls'
records (transcripts, summaries, recordings), each business's data its own."""

from __future__ import annotations

from fastapi import APIRouter

from ringfence.services.agents import (
    campaign_pages,
    campaign_routes,
    evaluation_routes,
    pages,
    routes,
    voice_routes,
)
from ringfence.web.pages import ServiceLink

service_link = ServiceLink(
    name="agents",
    title="agents",
    path="/agents",
    summary="AI phone agents for businesses: a receptionist that answers your number, with "
    "transcripts, summaries and recordings of its calls.",
)

router = APIRouter()
router.include_router(routes.router)
router.include_router(campaign_routes.router)
router.include_router(pages.router)
router.include_router(campaign_pages.router)
router.include_router(voice_routes.router)
router.include_router(evaluation_routes.router)
install = routes.install

__all__ = ["install", "router", "service_link"]
