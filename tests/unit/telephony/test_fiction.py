"""The test phone's numbers: Ofcom's drama range, valid fixed lines to libphonenumber."""

from __future__ import annotations

import pytest
from phonenumbers import PhoneNumberType

from ringfence.telephony.dialing import PHONES, parse
from ringfence.telephony.fiction import SIZE, is_test_phone_number, number_at, spoken


def test_the_range_is_a_thousand_numbers_that_ring_and_dial_take_as_fixed_lines() -> None:
    numbers = [number_at(i) for i in (0, 123, SIZE - 1)]
    assert numbers == ["+441134960000", "+441134960123", "+441134960999"]
    for number in numbers:
        parsed = parse(number, None)
        assert parsed.kind == PhoneNumberType.FIXED_LINE and parsed.kind in PHONES
        assert parsed.international == spoken(number)  # "+44 113 496 0123"
        assert is_test_phone_number(number)
    with pytest.raises(ValueError):
        number_at(SIZE)


def test_numbers_outside_the_range_are_not_the_test_phones() -> None:
    for number in ("+441134961000", "+44113496012", "+4411349601234", "+442079460123", "+1"):
        assert not is_test_phone_number(number)
