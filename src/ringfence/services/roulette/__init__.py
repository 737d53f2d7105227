"""roulette: anonymous random voice chat with strangers, matched by country, nothing stored."""

from __future__ import annotations

from ringfence.services.roulette.routes import install, router
from ringfence.web.pages import ServiceLink

service_link = ServiceLink(
    name="roulette",
    title="roulette",
    path="/roulette",
    summary="Talk with a random stranger, by voice, anonymously. Nothing is recorded or kept.",
)

__all__ = ["install", "router", "service_link"]
