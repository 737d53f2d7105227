"""The manifest of roulette: what the composition root needs to assemble it."""

from __future__ import annotations

from ringfence.manifest import ServiceSpec

SERVICE = ServiceSpec(
    name="roulette",
    title="Talk to a stranger",
    path="/roulette",
    summary="Talk with a random stranger, by voice, anonymously. Nothing is recorded or kept.",
    package="ringfence.services.roulette",
    models=("ringfence.services.roulette.models",),
    privacy="ringfence.services.roulette.privacy",
    web="ringfence.services.roulette.routes",
    admin="ringfence.services.roulette.admin",
    settings_section="roulette",
)
