"""dial: call any phone number from the browser, paid from prepaid credit."""

from __future__ import annotations

from ringfence.services.dial.routes import router
from ringfence.web.pages import ServiceLink

service_link = ServiceLink(
    name="dial",
    title="dial",
    path="/dial",
    summary="Call any phone number from your browser with prepaid credit.",
)

__all__ = ["router", "service_link"]
