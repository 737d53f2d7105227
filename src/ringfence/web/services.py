"""The services mounted in the app. Each lives in ``ringfence.services.<name>`` and exports
``service``: its home-page link and its router."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from fastapi import APIRouter

from ringfence.web.pages import ServiceLink

SERVICE_MODULES: tuple[str, ...] = ("ringfence.services.numbers",)


@dataclass(frozen=True)
class MountedService:
    link: ServiceLink
    router: APIRouter


def installed_services() -> list[MountedService]:
    found = []
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        found.append(MountedService(module.service_link, module.router))
    return found
