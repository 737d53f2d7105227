"""The manifest of ring: what the composition root needs to assemble it."""

from __future__ import annotations

from ringfence.manifest import ServiceSpec

SERVICE = ServiceSpec(
    name="ring",
    title="Ring my phone",
    path="/ring",
    summary="Lost your phone in the house? Type its number and we ring it.",
    package="ringfence.services.ring",
    models=("ringfence.services.ring.models",),
    privacy="ringfence.services.ring.privacy",
    uses=("telephony",),
    web="ringfence.services.ring.routes",
    settings_section="ring",
)
