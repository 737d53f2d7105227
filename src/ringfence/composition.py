"""The composition root: which services this installation has, and which of them are enabled.

A service is *installed* when its package registers its manifest under the ``ringfence.services``
entry point group (``pyproject.toml``); it is *enabled* unless the operator lists it in
``RINGFENCE_SERVICES__DISABLED``. The store's metadata takes the tables of every installed
service (one migration history serves every combination, so enabling a service later needs no
new migration), and the privacy inventory declares their categories, so data a disabled service
left behind is still swept and still answers rights requests. Everything else follows the
enabled ones only: routes, Socket.IO endpoints, jobs, command-line commands, the home page's
links and the policy pages' sections. Nothing below the services imports one by name: they reach
services only through this module.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType

from ringfence.errors import ConfigurationError
from ringfence.manifest import ServiceSpec
from ringfence.settings import Settings

ENTRY_POINT_GROUP = "ringfence.services"


@cache
def installed() -> tuple[ServiceSpec, ...]:
    """Every installed service's manifest, in the order of their names."""
    specs = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        spec = point.load()
        if not isinstance(spec, ServiceSpec) or spec.name != point.name:
            raise ConfigurationError(
                f"entry point {point.name} = {point.value} is not the ServiceSpec of {point.name}"
            )
        specs.append(spec)
    return tuple(sorted(specs, key=lambda s: s.name))


def enabled(settings: Settings) -> tuple[ServiceSpec, ...]:
    """The installed services the operator has not disabled."""
    specs = installed()
    names = {spec.name for spec in specs}
    unknown = sorted(set(settings.services.disabled) - names)
    if unknown:
        raise ConfigurationError(
            f"services.disabled names {', '.join(unknown)}, which is not installed "
            f"(installed: {', '.join(sorted(names))})"
        )
    return tuple(spec for spec in specs if spec.name not in settings.services.disabled)


def disabled(settings: Settings) -> set[str]:
    """The names of the installed services the operator disabled."""
    return {spec.name for spec in installed()} - {spec.name for spec in enabled(settings)}


def load(module: str) -> ModuleType:
    """Import one part a manifest names."""
    return importlib.import_module(module)


def model_modules(specs: Iterable[ServiceSpec]) -> list[str]:
    return [module for spec in specs for module in spec.models]


def privacy_modules(specs: Iterable[ServiceSpec]) -> list[str]:
    return [spec.privacy for spec in specs if spec.privacy is not None]


def job_modules(specs: Iterable[ServiceSpec]) -> list[str]:
    return [module for spec in specs for module in spec.jobs]


def admin_sections(specs: Iterable[ServiceSpec]) -> list[tuple[str, str]]:
    """The services' sections of the operator console: (name, title), mounted at /admin/<name>."""
    return [(spec.name, load(spec.admin).TITLE) for spec in specs if spec.admin is not None]
