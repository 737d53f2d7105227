"""What a person may ask of a match besides a country: a language to talk in, and interests.

Both live only as long as the person waits or talks (in the matcher's memory, or Redis): the
page sends them with each join, and nothing of them is stored.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError

from ringfence.errors import InvalidInput

# The languages offered, by ISO 639-1 code: the most spoken ones; names come from CLDR.
LANGUAGES = (
    "ar", "bn", "de", "el", "en", "es", "fa", "fr", "he", "hi", "id", "it", "ja", "ko", "nl",
    "pl", "pt", "ro", "ru", "sv", "sw", "th", "tr", "uk", "ur", "vi", "zh",
)  # fmt: skip
MAX_INTERESTS = 5
MAX_INTEREST_CHARS = 30
_NOT_WORD = re.compile(r"[^\w\- ]+")


@cache
def language_names(reader: str = "en") -> list[tuple[str, str]]:
    """(code, name) of each language offered, named in the reader's language, sorted."""
    try:
        names = Locale.parse(reader.replace("-", "_")).languages
    except (UnknownLocaleError, ValueError):
        names = Locale.parse("en").languages
    return sorted(((c, names.get(c, c)) for c in LANGUAGES), key=lambda c: c[1].casefold())


def language(value: Any) -> str:
    """A language code from the page ("" for any), or InvalidInput."""
    code = str(value or "").strip().lower()
    if code and code not in LANGUAGES:
        raise InvalidInput(f"{code[:10]!r} is not a language offered here")
    return code


def interests(value: Any) -> frozenset[str]:
    """Interests from the page: a list, or one text separated by commas. Each is folded to
    lower case, letters, digits, spaces and hyphens; at most ``MAX_INTERESTS``."""
    if value is None or value == "":
        return frozenset()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise InvalidInput("interests are words separated by commas")
    found: list[str] = []
    for item in items:
        word = " ".join(_NOT_WORD.sub(" ", unicodedata.normalize("NFKC", item)).split())
        word = word.casefold().strip("-_ ")
        if not word or word in found:
            continue
        if len(word) > MAX_INTEREST_CHARS:
            raise InvalidInput(f"an interest is at most {MAX_INTEREST_CHARS} characters")
        found.append(word)
    if len(found) > MAX_INTERESTS:
        raise InvalidInput(f"name at most {MAX_INTERESTS} interests")
    return frozenset(found)
