"""ring: a page that rings your own phone so you can find it, anonymous and abuse-proof."""

from __future__ import annotations

from ringfence.services.ring.routes import router
from ringfence.web.pages import ServiceLink

service_link = ServiceLink(
    name="ring",
    title="ring",
    path="/ring",
    summary="Lost your phone in the house? Type its number and we ring it.",
)

__all__ = ["router", "service_link"]
