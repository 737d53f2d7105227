"""Masking of personal data and secrets before they reach a log line.

Phone numbers keep only their last two digits (``+4479•••••••23`` would still leak the country and
operator, so everything but the tail goes). SIP URIs whose user part is a number are masked the same
way. ``Redacted`` wraps any value so that every way of turning it into text (``str``, ``repr``,
``format``, ``%s``) shows a mask. Secrets (a link's token, a session cookie, a code, a bearer
token) are masked by the name they travel under (``mask_secrets``).
"""

from __future__ import annotations

import re
from typing import Any

KEEP_DIGITS = 2

# A run of 7 or more digits, optionally led by "+" and split by spaces, dots, dashes or brackets:
# national and E.164 numbers in every common written form. Dates and times (at most 4 digits between
# separators) stay below the threshold only when they are short, so ISO timestamps are spared by the
# separator rule below.
# URL-encoded forms count too ("+" or "%20" for a space, "%2B" for a leading plus), so a number
# in a logged query string is masked as well.
# An IPv4 address (a client's, in an access line) is not a number: no run stops before ".<digit>".
_PHONE = re.compile(
    r"(?<![\w.:-])(?:\+|%2[Bb])?\(?\d(?:(?:[\s().+-]|%20){0,2}\d){6,16}(?![\w:]|\.\d)"
)
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def mask_number(text: str) -> str:
    digits = [c for c in text if c.isdigit()]
    tail = "".join(digits[-KEEP_DIGITS:])
    return ("+" if text.startswith("+") else "") + "*" * (len(digits) - KEEP_DIGITS) + tail


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(0)
    if _ISO_DATETIME.match(text) or _IPV4.match(text):
        return text
    return mask_number(text)


def mask_phone_numbers(text: str) -> str:
    """Replace every phone-number-like run of digits in ``text`` with a mask."""
    return _PHONE.sub(_mask_match, text)


# -- secrets: tokens, session ids, codes, keys ---------------------------------------------------

# A parameter (query string, form body, cookie, ``k=v`` text) whose name says it carries a secret:
# ``?token=...``, ``rf_session=...``, ``csrf=...``, ``code=...``, ``secret=...`` (otpauth:// URIs).
_SECRET_NAME = r"[\w-]*(?:token|secret|passw(?:or)?d|session|csrf|code|key|signature|sig|otp|auth)"
_SECRET_PARAM = re.compile(r"(?i)(?<![\w-])(" + _SECRET_NAME + r")(=|%3D)([^&\s;\"',]+)")
# A structured log field named for a secret (narrower: an error ``code`` and ``ip_key`` stay).
_SECRET_FIELD = re.compile(
    r"(?i)^(?:[\w-]*(?:token|secret|passw(?:or)?d|csrf|otp|cookie|authorization)|session)$"
)
# A bare value that looks generated (32+ URL-safe base64 characters mixing upper case, lower case
# and digits: ``secrets.token_urlsafe``, sealed tokens), wherever it stands; hex ids and hashes
# (lower case only) and words stay.
_TOKEN_LIKE = re.compile(
    r"(?<![\w-])(?=[\w-]*[A-Z])(?=[\w-]*[a-z])(?=[\w-]*\d)[A-Za-z0-9_-]{32,}(?![\w-])"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)[\w.~+/=-]+")
SECRET_MASK = "[redacted]"


def mask_secrets(text: str) -> str:
    """Mask the value of every secret-named parameter and every Authorization credential in
    ``text`` (the names stay, so a log line still says what was there), and any bare value that
    looks like a generated token."""
    text = _SECRET_PARAM.sub(lambda m: m.group(1) + m.group(2) + SECRET_MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + m.group(2) + SECRET_MASK, text)
    return _TOKEN_LIKE.sub(SECRET_MASK, text)


def is_secret_name(name: str) -> bool:
    """A log field named like ``token``, ``reset_token``, ``session``, ``totp_secret``."""
    return bool(_SECRET_FIELD.match(name))


def mask_text(text: str) -> str:
    """Everything a log line must not hold: secrets, then phone numbers."""
    return mask_phone_numbers(mask_secrets(text))


class Redacted:
    """A value that never shows itself in text: log it, format it, repr it, it stays masked."""

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    @property
    def value(self) -> Any:
        return self._value

    def __str__(self) -> str:
        return "[redacted]"

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return "[redacted]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Redacted) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# -- sensitive data in what people say (transcripts, summaries, text sent to a hosted model) -----

_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_US_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_UK_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}(?:st|nd|rd|th)? (?:of )?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*,? \d{4}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}(?:st|nd|rd|th)?,? \d{4})"
)
_BIRTH = re.compile(
    r"\b(?:born(?: on)?|date of birth(?: is)?|birthday(?: is)?|d\.?o\.?b\.?:?)\s*" + _DATE,
    re.IGNORECASE,
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = "".join(c for c in match.group(0) if c.isdigit())
    return "[card number]" if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


def redact_sensitive(text: str) -> str:
    """``text`` with payment card numbers (Luhn-checked), national ids (US SSN, UK National
    Insurance) and dates of birth replaced by labels. Phone numbers stay: a message often needs
    its call-back number."""
    text = _BIRTH.sub("[date of birth]", text)
    text = _US_SSN.sub("[national id]", text)
    text = _UK_NINO.sub("[national id]", text)
    return _CARD.sub(_card, text)
