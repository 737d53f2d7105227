"""The console's reading of amounts typed in major units."""

from __future__ import annotations

import pytest

from ringfence.errors import InvalidInput
from ringfence.http.console import NOTICES, done, minor_units


@pytest.mark.parametrize(
    ("typed", "cents"), [("5", 500), ("5.2", 520), (" 0.05 ", 5), ("1000000", 100_000_000)]
)
def test_amounts_in_minor_units(typed: str, cents: int) -> None:
    assert minor_units(typed) == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "as a number"),
        ("", "as a number"),
        ("1.234", "at most two decimals"),
        ("NaN", "at most two decimals"),
        ("Infinity", "at most two decimals"),
        ("0", "more than 0"),
        ("-5", "more than 0"),
        ("1000000.01", "at most 1,000,000"),
        ("1e400", "at most 1,000,000"),
    ],
)
def test_what_is_not_an_amount_is_refused_saying_why(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        minor_units(typed)


def test_zero_where_a_price_may_be_free() -> None:
    assert minor_units("0", zero=True) == 0
    with pytest.raises(InvalidInput, match="is 0 and at most"):
        minor_units("-1", zero=True)


def test_a_redirect_announces_only_fixed_notices() -> None:
    assert done("/admin/rates", "price-set").headers["location"] == "/admin/rates?done=price-set"
    assert done("/admin/x?q=a", "lifted").headers["location"] == "/admin/x?q=a&done=lifted"
    assert all(text.endswith(".") for text in NOTICES.values())
