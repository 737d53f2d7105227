"""The manifest of agents: what the composition root needs to assemble it."""

from __future__ import annotations

from ringfence.manifest import ServiceSpec

SERVICE = ServiceSpec(
    name="agents",
    title="Phone agents",
    path="/agents",
    summary="AI phone agents for businesses: a receptionist that answers your number, with "
    "transcripts, summaries and recordings of its calls.",
    package="ringfence.services.agents",
    models=("ringfence.services.agents.models",),
    privacy="ringfence.services.agents.privacy",
    jobs=("ringfence.services.agents.jobs",),
    uses=("telephony",),
    web="ringfence.services.agents.web",
    cli="ringfence.services.agents.cli",
    settings_section="agents",
)
