"""numbers: random phone numbers valid for every region, and numbers reserved for fiction.

``NumberGenerator``, ``Request`` and ``FakerProvider``
(``fake.add_provider(ringfence.services.numbers.FakerProvider)``, which needs the optional
``faker`` package) are imported on first use, so the command line starts without the generator.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FakerProvider", "NumberGenerator", "Request"]


def __getattr__(name: str) -> Any:
    if name == "FakerProvider":
        from ringfence.services.numbers.faker_provider import FakerProvider

        return FakerProvider
    if name in ("NumberGenerator", "Request"):
        from ringfence.services.numbers import generator

        return getattr(generator, name)
    raise AttributeError(name)
