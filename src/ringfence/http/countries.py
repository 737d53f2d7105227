"""Country choices for pages: ISO code, English name and calling code, sorted by name."""

from __future__ import annotations

from functools import cache

import phonenumbers
from phonenumbers import geocoder


@cache
def countries() -> list[tuple[str, str, int]]:
    out = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(code)
        name = geocoder.country_name_for_number(example, "en") if example else ""
        out.append((code, name or code, phonenumbers.country_code_for_region(code)))
    return sorted(out, key=lambda c: c[1])
