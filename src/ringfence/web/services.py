"""The services mounted in the app. Each lives in ``ringfence.services.<name>`` and exports
``service_link`` and ``router``, and may export ``install(app)``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from ringfence.web.pages import ServiceLink

SERVICE_MODULES: tuple[str, ...] = (
    "ringfence.services.ring",
    "ringfence.services.dial",
    "ringfence.services.roulette",
    "ringfence.services.numbers",
    "ringfence.services.agents",
)


@dataclass(frozen=True)
class MountedService:
    link: ServiceLink
    router: APIRouter
    # Mounts what is not a router (roulette's Socket.IO endpoint); called once per app.
    install: Callable[[FastAPI], None] | None = None


def installed_services() -> list[MountedService]:
    found = []
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        found.append(
            MountedService(module.service_link, module.router, getattr(module, "install", None))
        )
    return found
