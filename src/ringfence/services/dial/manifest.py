"""The manifest of dial: what the composition root needs to assemble it."""

from __future__ import annotations

from ringfence.manifest import ServiceSpec

SERVICE = ServiceSpec(
    name="dial",
    title="Call a phone",
    path="/dial",
    summary="Call any phone number from your browser with prepaid credit.",
    package="ringfence.services.dial",
    models=("ringfence.services.dial.models", "ringfence.services.dial.call_quality"),
    privacy="ringfence.services.dial.privacy",
    uses=("telephony",),
    web="ringfence.services.dial.routes",
)
