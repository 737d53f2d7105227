"""Country choices for pages: ISO code, name and calling code, sorted by name.

The names are CLDR's (through Babel), which follow the names countries use for themselves now:
"Türkiye", "Czechia", "North Macedonia", "Eswatini", where libphonenumber's geocoder still says
"Turkey", "Czech Republic", "Macedonia", "Swaziland". Every region libphonenumber dials is listed,
the few CLDR would not name (none today) under their geocoder name, else their code.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import TYPE_CHECKING

import phonenumbers
from babel import Locale, UnknownLocaleError

from ringfence import humanize

if TYPE_CHECKING:  # the numbers CLI reads names too: no web framework imported for them
    from starlette.requests import Request

DEFAULT_LANGUAGE = "en"


def _territories(language: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(language.replace("-", "_")).territories)
    except (UnknownLocaleError, ValueError):
        return dict(Locale.parse(DEFAULT_LANGUAGE).territories)


def _sort_key(name: str) -> str:
    """ "Åland Islands" sorts with the A's, "Türkiye" with the T's."""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


@cache
def country_names(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Every region libphonenumber dials, by ISO code, with its current name in ``language``."""
    cldr = _territories(language)
    names = {}
    for code in phonenumbers.SUPPORTED_REGIONS:
        name = cldr.get(code)
        if not name:  # none today; the geocoder (seconds to import) only then
            from phonenumbers import geocoder

            example = phonenumbers.example_number(code)
            name = geocoder.country_name_for_number(example, "en") if example else ""
        names[code] = name or code
    return names


def country_name(code: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """The name of a region by its ISO code ("TR" is "Türkiye"); the code itself when unknown,
    and "" for none."""
    if not code:
        return ""
    return country_names(language).get(code.upper(), code)


@cache
def countries(language: str = DEFAULT_LANGUAGE) -> list[tuple[str, str, int]]:
    """(code, name, calling code) for every region libphonenumber dials, sorted by name."""
    out = [
        (code, name, phonenumbers.country_code_for_region(code))
        for code, name in country_names(language).items()
    ]
    return sorted(out, key=lambda c: (_sort_key(c[1]), c[0]))


def for_reader(request: Request) -> list[tuple[str, str, int]]:
    """The choices named in the reader's language (their ``Accept-Language``), else English."""
    return countries(reader_language(request))


def reader_language(request: Request) -> str:
    """The language a request's reader reads (``Accept-Language``), for ``country_name``."""
    return str(humanize.locale_for(request.headers.get("accept-language")))
