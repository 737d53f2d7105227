"""Numbers that start with a given prefix: an area code, a mobile range, a national prefix.

A prefix is the start of the *national significant number* (no country code, no trunk prefix):
``415`` for San Francisco in the US, ``20`` for London in the UK, ``7700`` for the UK's drama
mobiles. The restriction is one more automaton in the table's language (the prefix followed by
any digits), so the drawn numbers stay uniform over what the region and type allow and valid by
construction; a fiction range is cut to the part that starts with the prefix.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

import phonenumbers

from ringfence.services.numbers.automaton import Language, compile_pattern
from ringfence.services.numbers.fiction import FictionalRange
from ringfence.services.numbers.tables import (
    LengthTable,
    NoSuchNumbers,
    NumberTable,
    _length_table,
    table_for,
)

MAX_PREFIX_DIGITS = 12


class NoNumbersWithPrefix(NoSuchNumbers):
    """No number of the region and type starts with the prefix."""


def check_prefix(prefix: str) -> str:
    """The prefix's digits, or ValueError with what is wrong (spaces and dashes are dropped)."""
    digits = re.sub(r"[\s\-.()]", "", prefix)
    if not digits:
        return ""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"a prefix is digits only, e.g. 415 or 20; not {prefix!r}")
    if len(digits) > MAX_PREFIX_DIGITS:
        raise ValueError(f"a prefix is at most {MAX_PREFIX_DIGITS} digits")
    return digits


def _restricted_length(length: LengthTable, prefix: str) -> LengthTable | None:
    base = length.language
    language = Language(
        [m.nfa for m in base.include] + [compile_pattern(re.escape(prefix), prefix=True)],
        [m.nfa for m in base.exclude],
    )
    return _length_table(language, length.length, length.number_type, length.region)


def restrict_table(table: NumberTable, prefix: str) -> NumberTable | None:
    """``table`` keeping only the numbers that start with ``prefix``; None if none does."""
    if not prefix:
        return table
    return _restricted(table.region, table.kind, prefix)


@lru_cache(maxsize=256)
def _restricted(region: str, kind: str, prefix: str) -> NumberTable | None:
    table = table_for(region, kind)  # built once per process: the same table the caller has
    lengths = [
        restricted
        for length in table.lengths
        if length.length > len(prefix)
        and (restricted := _restricted_length(length, prefix)) is not None
    ]
    if not lengths:
        return None
    return replace(table, lengths=lengths, shares=[])  # shares recomputed for these lengths


def restrict_tables(
    tables: list[NumberTable], region: str, kind: str | None, prefix: str
) -> list[NumberTable]:
    if not prefix:
        return tables
    kept = [t for table in tables if (t := restrict_table(table, prefix)) is not None]
    if not kept:
        raise NoNumbersWithPrefix(_nothing(region, kind, prefix))
    return kept


def restrict_range(found: FictionalRange, prefix: str) -> FictionalRange | None:
    """The part of a reserved range whose numbers start with ``prefix``, or None."""
    width = len(found.first)
    if len(prefix) > width:
        return None
    low = prefix + "0" * (width - len(prefix))
    high = prefix + "9" * (width - len(prefix))
    first, last = max(found.first, low), min(found.last, high)
    if first > last:
        return None
    return replace(found, first=first, last=last)


def restrict_ranges(
    ranges: list[FictionalRange], region: str, kind: str | None, prefix: str
) -> list[FictionalRange]:
    if not prefix:
        return ranges
    kept = [r for found in ranges if (r := restrict_range(found, prefix)) is not None]
    if not kept:
        starts = sorted({r.first[: len(prefix)] for r in ranges})
        raise NoNumbersWithPrefix(
            f"{_nothing(region, kind, prefix, 'reserved for fiction ')}; the reserved ranges "
            f"start with {', '.join(starts)}"
        )
    return kept


def _nothing(region: str, kind: str | None, prefix: str, what: str = "") -> str:
    kind_text = kind.replace("_", " ") if kind else "mobile or fixed-line"
    message = f"no {kind_text} number {what}of {region} starts with {prefix}"
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    trunk = metadata.national_prefix if metadata is not None else None
    if trunk and prefix.startswith(trunk):
        message += (
            f" (a prefix is the start of the national number without the trunk prefix {trunk}:"
            f" try {prefix[len(trunk) :]})"
        )
    return message
