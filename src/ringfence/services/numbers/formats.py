"""How numbers are written: the number's format, and the file format of a download.

Number formats are libphonenumber's (``phonenumbers.format_number``): E.164 (``+442079460123``),
national (``020 7946 0123``), international (``+44 20 7946 0123``) and RFC 3966's ``tel:`` URI
(``tel:+44-20-7946-0123``, RFC 3966 section 3). The two sets of names are disjoint, so one
``format`` option (the CLI's ``--format``, the API's ``format=``) may carry one of each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import phonenumbers
from phonenumbers import PhoneNumberFormat

from ringfence.errors import InvalidInput
from ringfence.services.numbers.service import NumberBatch

NUMBER_FORMATS: dict[str, int] = {
    "e164": PhoneNumberFormat.E164,
    "national": PhoneNumberFormat.NATIONAL,
    "international": PhoneNumberFormat.INTERNATIONAL,
    "rfc3966": PhoneNumberFormat.RFC3966,
}
FILE_FORMATS = ("csv", "jsonl", "txt")


@dataclass(frozen=True)
class Formats:
    file: str = "csv"
    number: str = "e164"


def parse_formats(values: Iterable[str], *, files: tuple[str, ...] = FILE_FORMATS) -> Formats:
    """At most one file format and one number format, e.g. ``["jsonl", "national"]``."""
    file: str | None = None
    number: str | None = None
    for raw in values:
        value = raw.strip().lower()
        if value in NUMBER_FORMATS and number is None:
            number = value
        elif value in files and file is None:
            file = value
        elif value in NUMBER_FORMATS or value in files:
            raise InvalidInput(f"two formats of the same kind: {raw!r}; give at most one of each")
        else:
            raise InvalidInput(
                f"unknown format {raw!r}; accepted: {', '.join(files)} (the file) and "
                f"{', '.join(NUMBER_FORMATS)} (each number)"
            )
    return Formats(file or (files[0] if files else ""), number or "e164")


def formatter(number_format: str) -> Callable[[str], str]:
    """A function writing an E.164 number in ``number_format``."""
    if number_format == "e164":
        return str
    style = NUMBER_FORMATS[number_format]

    def write(e164: str) -> str:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), style)

    return write


def formatted(batches: Iterable[NumberBatch], number_format: str) -> Iterable[NumberBatch]:
    """Batches of E.164 numbers, each rewritten in ``number_format`` (types and regions kept)."""
    if number_format == "e164":
        return batches
    write = formatter(number_format)
    return (
        NumberBatch(
            np.array([write(n).encode() for n in batch.numbers], dtype="S"),
            batch.types,
            batch.regions,
        )
        for batch in batches
    )
