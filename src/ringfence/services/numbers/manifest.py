"""The manifest of numbers: what the composition root needs to assemble it."""

from __future__ import annotations

from ringfence.manifest import ServiceSpec

SERVICE = ServiceSpec(
    name="numbers",
    title="Phone numbers",
    path="/numbers",
    summary="Random phone numbers, valid for every country, or reserved for fiction so they "
    "never ring anyone.",
    package="ringfence.services.numbers",
    privacy="ringfence.services.numbers.privacy",
    web="ringfence.services.numbers.routes",
    cli="ringfence.services.numbers.cli",
)
