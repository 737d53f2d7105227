"""numbers: random phone numbers valid for every region, and numbers reserved for fiction.

``FakerProvider`` (``fake.add_provider(ringfence.services.numbers.FakerProvider)``) needs the
optional ``faker`` package and is imported on first use.
"""

from __future__ import annotations

from typing import Any

from ringfence.services.numbers.generator import NumberGenerator, Request

__all__ = ["FakerProvider", "NumberGenerator", "Request"]


def __getattr__(name: str) -> Any:
    if name == "FakerProvider":
        from ringfence.services.numbers.faker_provider import FakerProvider

        return FakerProvider
    raise AttributeError(name)
