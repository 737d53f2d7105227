"""One number in every format, with what libphonenumber says of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat, geocoder

from ringfence.http.countries import country_name
from ringfence.services.numbers.fiction import find_range
from ringfence.services.numbers.kinds import type_name


@dataclass(frozen=True)
class NumberInfo:
    e164: str
    international: str
    national: str
    rfc3966: str
    region: str | None  # the region libphonenumber attributes the number to
    # The type phonenumbers.number_type reports; for a reserved number it does not know, the
    # type the regulator reserved it as (fiction_note says so).
    type: str
    valid: bool
    possible: bool
    description: str  # offline geocoder text: a place or a country, never a carrier
    fictional: bool  # inside a range reserved for fiction
    fiction_source: str | None
    fiction_note: str | None  # who reserves it, for what, and why it may not validate

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe(number: phonenumbers.PhoneNumber) -> NumberInfo:
    region = phonenumbers.region_code_for_number(number)
    nsn = phonenumbers.national_significant_number(number)
    # A reserved number is often "invalid" to libphonenumber, which then names no region: look
    # in every region of its country code.
    candidates = (
        [region] if region else phonenumbers.region_codes_for_country_code(number.country_code or 0)
    )
    reserved = next((r for c in candidates if (r := find_range(c, nsn)) is not None), None)
    valid = phonenumbers.is_valid_number(number)
    own_type = type_name(phonenumbers.number_type(number))
    if reserved is not None and own_type == "unknown":
        own_type = reserved.kind
    return NumberInfo(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        international=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
        national=phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
        rfc3966=phonenumbers.format_number(number, PhoneNumberFormat.RFC3966),
        region=region,
        type=own_type,
        valid=valid,
        possible=phonenumbers.is_possible_number(number),
        description=_place(number, region),
        fictional=reserved is not None,
        fiction_source=reserved.source if reserved else None,
        fiction_note=reserved.note(valid) if reserved else None,
    )


def _place(number: phonenumbers.PhoneNumber, region: str | None) -> str:
    """The geocoder's place, a country said by its current name ("Türkiye", not "Turkey")."""
    place = geocoder.description_for_number(number, "en")
    if region and place and place == geocoder.country_name_for_number(number, "en"):
        return country_name(region)
    return str(place)


def describe_e164(e164: str) -> NumberInfo:
    return describe(phonenumbers.parse(e164, None))
