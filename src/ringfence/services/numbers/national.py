"""National format (``020 7946 0321``) at a fraction of ``phonenumbers.format_number``'s cost.

libphonenumber picks a number's format by its length and leading digits: the first format of
the country's main region whose last ``leading_digits_pattern`` matches the start of the
national significant number and whose ``pattern`` matches all of it. Where every pattern is
digits of given widths only (``(\\d{3})(\\d{4})``), the choice depends on the length and on at
most the longest leading-digits match, so numbers sharing both are written alike: the first
such number is formatted by phonenumbers and kept as a template, the rest fill it in. Elsewhere
(or where the written form is not the number's own digits in order), the key is the whole
number, which is exactly phonenumbers. Templates are at most ``TEMPLATES`` per country code.
"""

from __future__ import annotations

import re
from functools import cache
from re import _parser as sre_parse

import phonenumbers
from phonenumbers import PhoneMetadata

TEMPLATES = 65_536
_DIGITS_ONLY = re.compile(r"(?:\(|\)|\\d(?:\{\d+(?:,\d*)?\})?)*")
_WHOLE = 10_000  # a key length that is the whole number


@cache
def key_length(country_code: int) -> int:
    """How many leading digits (with the length) decide the format of ``country_code``'s
    numbers, or ``_WHOLE`` where that cannot be bounded."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return _WHOLE
    longest = 0
    for number_format in metadata.number_format:
        if not _DIGITS_ONLY.fullmatch(number_format.pattern or ""):
            return _WHOLE
        if number_format.leading_digits_pattern:
            width = sre_parse.parse(number_format.leading_digits_pattern[-1]).getwidth()[1]
            if width >= _WHOLE:
                return _WHOLE
            longest = max(longest, width)
    return longest


class NationalWriter:
    """Writes E.164 numbers of one country code in national format."""

    def __init__(self, country_code: int) -> None:
        self._skip = len(str(country_code)) + 1
        self._length = key_length(country_code)
        self._templates: dict[tuple[int, str], str | None] = {}

    def __call__(self, e164: str) -> str:
        nsn = e164[self._skip :]
        key = (len(nsn), nsn[: self._length])
        template = self._templates.get(key, "")
        if template:
            return template.format(*nsn)
        written = phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.NATIONAL
        )
        if template is None:
            return written
        if len(self._templates) >= TEMPLATES:
            self._templates.clear()
        self._templates[key] = _template(written, nsn)
        return written


def _template(written: str, nsn: str) -> str | None:
    """``written`` with ``nsn``'s digits as ``{}`` slots, or None if they are not its last
    digits in order."""
    positions = [i for i, c in enumerate(written) if c.isdigit()]
    if len(positions) < len(nsn) or "{" in written or "}" in written:
        return None
    slots = positions[len(positions) - len(nsn) :]
    if "".join(written[i] for i in slots) != nsn:
        return None
    chars = list(written)
    for i in slots:
        chars[i] = "{}"
    return "".join(chars)
