"""agents on the web: the JSON API (``api``, ``campaigns_api``, ``analytics``) and the pages
(``pages``, ``campaign_pages``, ``evaluations``, ``voices``; ``numbers`` has both), members and
their invitations (``members``), members leaving and the business's closure (``lifecycle``), as one
router, and what the app installs for it. The manifest names
this package as the service's ``web``; modules here only translate between HTTP and the services
below them."""

from __future__ import annotations

from fastapi import APIRouter

from ringfence.services.agents.web import (
    analytics,
    api,
    campaign_pages,
    campaigns_api,
    connections,
    connections_api,
    deps,
    evaluations,
    knowledge_api,
    knowledge_pages,
    lifecycle,
    members,
    numbers,
    pages,
    rights_notices,
    voices,
)

router = APIRouter()
router.include_router(api.router)
router.include_router(analytics.router)
router.include_router(knowledge_api.router)
router.include_router(connections_api.router)
router.include_router(connections.router)
router.include_router(knowledge_pages.router)
router.include_router(campaigns_api.router)
router.include_router(pages.router)
router.include_router(campaign_pages.router)
router.include_router(voices.router)
router.include_router(evaluations.router)
router.include_router(numbers.router)
router.include_router(rights_notices.router)
# members and their invitations
router.include_router(members.router)
router.include_router(members.pages)
router.include_router(lifecycle.router)
router.include_router(lifecycle.pages)
install = deps.install

__all__ = ["install", "router"]
