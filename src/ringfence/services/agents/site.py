"""agents on the web: its JSON API and pages as one router, and what the app installs for it."""

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

router = APIRouter()
router.include_router(routes.router)
router.include_router(campaign_routes.router)
router.include_router(pages.router)
router.include_router(campaign_pages.router)
router.include_router(voice_routes.router)
router.include_router(evaluation_routes.router)
install = routes.install

__all__ = ["install", "router"]
