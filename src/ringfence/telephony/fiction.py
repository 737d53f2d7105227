"""The test phone's numbers: a range the regulator reserves for drama, so none rings a person.

Ofcom reserves 0113 496 0000 to 0113 496 0999 (Leeds) for TV and radio drama and never allocates
them to anyone (Ofcom, 'Telephone numbers for use in TV and radio drama programmes',
https://www.ofcom.org.uk/phones-and-broadband/phone-numbers/numbers-for-drama; the same range as
the numbers service's fiction mode). Unlike Ofcom's 07700 900xxx mobiles, libphonenumber
validates them as fixed lines, so every service that rings phones takes them as typed.

The built-in test phone hands these out to browser tabs, and the outbound gate sends them to it
and to no other carrier (``gate.OutboundGate``).
"""

from __future__ import annotations

SOURCE = (
    "Ofcom, 'Telephone numbers for use in TV and radio drama programmes' "
    "(https://www.ofcom.org.uk/phones-and-broadband/phone-numbers/numbers-for-drama)"
)
PREFIX = "441134960"  # +44 113 496 0xxx, E.164 digits without the +
SIZE = 1000
RANGE_TEXT = "+44 113 496 0000 to 0999"
# The built-in trunk's own caller ID, so a default install's calls come from a number a page can
# name ("your phone will ring from ..."); no test phone is given it.
PLATFORM_NUMBER = f"+{PREFIX}000"


def is_test_phone_number(e164: str) -> bool:
    """Whether ``e164`` is one of the test phone's numbers."""
    digits = e164.removeprefix("+")
    return len(digits) == len(PREFIX) + 3 and digits.startswith(PREFIX) and digits.isdigit()


def number_at(index: int) -> str:
    """The ``index``-th number of the range (0 to 999), in E.164."""
    if not 0 <= index < SIZE:
        raise ValueError(f"the test phone range has {SIZE} numbers, not {index + 1}")
    return f"+{PREFIX}{index:03d}"


def spoken(e164: str) -> str:
    """The number as people write it: +44 113 496 0123."""
    digits = e164.removeprefix("+")
    return f"+44 113 496 0{digits[-3:]}"
