"""Dialing permissions: which numbers a service may call, each refusal with its reason.

Carriers advise every platform that dials on behalf of strangers to refuse premium-rate ranges and
the destinations used for international revenue-share fraud (a fraudster makes the platform call
numbers whose termination fees they collect). The operator's ``telephony.dialing`` settings
name allowed and blocked countries and prefixes; a service adds which kinds of number it calls
(ring only rings phones: fixed lines and mobiles).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, ValidationResult, shortnumberinfo

from ringfence.errors import Forbidden, InvalidInput
from ringfence.settings import DialingSettings

T = PhoneNumberType
PHONES: frozenset[int] = frozenset({T.FIXED_LINE, T.MOBILE, T.FIXED_LINE_OR_MOBILE})
TYPE_NAMES: dict[int, str] = {
    T.FIXED_LINE: "a fixed line",
    T.MOBILE: "a mobile",
    T.FIXED_LINE_OR_MOBILE: "a fixed line or mobile",
    T.TOLL_FREE: "a toll-free number",
    T.PREMIUM_RATE: "a premium-rate number",
    T.SHARED_COST: "a shared-cost number",
    T.VOIP: "a non-geographic internet (VoIP) number",
    T.PERSONAL_NUMBER: "a non-geographic personal number",
    T.PAGER: "a pager",
    T.UAN: "a non-geographic company number",
    T.VOICEMAIL: "a voicemail access number",
    T.UNKNOWN: "not a number in use",
}
_TOO = {
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "the wrong length",
    ValidationResult.INVALID_COUNTRY_CODE: "not under a country code that exists",
}


@dataclass(frozen=True)
class Number:
    """A number that parses and is valid for its country."""

    parsed: phonenumbers.PhoneNumber
    e164: str
    international: str
    region: str
    kind: int  # a phonenumbers.PhoneNumberType value

    @property
    def kind_name(self) -> str:
        return TYPE_NAMES.get(self.kind, "a number of unknown kind")


def parse(raw: str, region: str | None) -> Number:
    """The number as typed (national with ``region``, or international with +); InvalidInput
    naming what is wrong otherwise."""
    text = raw.strip()
    region = (region or "").upper() or None
    if not text:
        raise InvalidInput("type a phone number")
    if len(text) > 40:
        raise InvalidInput("that is too long to be a phone number")
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"{region} is not a country code that phone numbers use")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        message = "that is not a phone number: use digits, spaces and a leading +"
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            message = "choose a country, or start the number with + and its code"
            if text.startswith("+"):
                message = "that country code does not exist"
        raise InvalidInput(message) from None
    national = str(parsed.national_number)
    number_region = phonenumbers.region_code_for_number(parsed) or region or ""
    if shortnumberinfo.is_emergency_number(national, number_region or "ZZ"):
        raise Forbidden("emergency numbers are never called by this service")
    if shortnumberinfo.is_valid_short_number(parsed):
        raise Forbidden("short codes (service and text numbers) are not called by this service")
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason in _TOO:
        raise InvalidInput(f"that number is {_TOO[reason]} for {_country(parsed, number_region)}")
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(
            f"that is not a number in use in {_country(parsed, number_region)}: check the digits"
        )
    return Number(
        parsed=parsed,
        e164=phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
        international=phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL),
        region=number_region,
        kind=int(phonenumbers.number_type(parsed)),
    )


def _country(parsed: phonenumbers.PhoneNumber, region: str) -> str:
    return region or f"+{parsed.country_code}"


class DialingPolicy:
    def __init__(self, settings: DialingSettings) -> None:
        self.allowed = frozenset(settings.allowed_countries)
        self.blocked = frozenset(settings.blocked_countries)
        self.prefixes = tuple(settings.blocked_prefixes)

    def permits_country(self, region: str) -> bool:
        return region not in self.blocked and (not self.allowed or region in self.allowed)

    def check(self, number: Number, *, kinds: Collection[int] | None = None) -> None:
        """Forbidden, with the reason, unless ``number`` may be called (and is one of ``kinds``)."""
        if number.kind == T.PREMIUM_RATE:
            raise Forbidden("premium-rate numbers are never called")
        digits = number.e164.lstrip("+")
        if any(digits.startswith(prefix) for prefix in self.prefixes):
            raise Forbidden(
                f"calls to numbers starting +{_matching(digits, self.prefixes)} are blocked "
                "(a range used for toll fraud)"
            )
        if not self.permits_country(number.region):
            raise Forbidden(f"calls to {number.region} are not enabled on this server")
        if kinds is not None and number.kind not in kinds:
            raise Forbidden(f"this service calls phones only, and that is {number.kind_name}")


def _matching(digits: str, prefixes: tuple[str, ...]) -> str:
    return max((p for p in prefixes if digits.startswith(p)), key=len)
