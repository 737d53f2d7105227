"""The number types libphonenumber defines, by the names ringfence uses for them."""

from __future__ import annotations

from phonenumbers import PhoneNumberType

# Name -> (metadata attribute, the types `number_type` may report for a number of that kind).
# A region whose fixed-line and mobile ranges overlap reports FIXED_LINE_OR_MOBILE for both.
KINDS: dict[str, tuple[str, frozenset[int]]] = {
    "fixed_line": (
        "fixed_line",
        frozenset({PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}),
    ),
    "mobile": (
        "mobile",
        frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}),
    ),
    "toll_free": ("toll_free", frozenset({PhoneNumberType.TOLL_FREE})),
    "premium_rate": ("premium_rate", frozenset({PhoneNumberType.PREMIUM_RATE})),
    "shared_cost": ("shared_cost", frozenset({PhoneNumberType.SHARED_COST})),
    "voip": ("voip", frozenset({PhoneNumberType.VOIP})),
    "personal_number": ("personal_number", frozenset({PhoneNumberType.PERSONAL_NUMBER})),
    "pager": ("pager", frozenset({PhoneNumberType.PAGER})),
    "uan": ("uan", frozenset({PhoneNumberType.UAN})),
    "voicemail": ("voicemail", frozenset({PhoneNumberType.VOICEMAIL})),
}

# The order in which phonenumbers' `_number_type_helper` tests the types: a number matching an
# earlier one is reported as that type, so generating a later type must exclude the earlier ones.
PRIORITY = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)

TYPE_NAMES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}


def type_name(number_type: int) -> str:
    return TYPE_NAMES.get(number_type, "unknown")


# The type each kind stands for when a number is known only by its kind (a reserved fiction range).
TYPE_CODES: dict[str, int] = {name: code for code, name in TYPE_NAMES.items()}
