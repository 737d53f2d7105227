"""Which prices the operator may set in the console."""

from __future__ import annotations

import pytest

from ringfence.billing.prices import checked
from ringfence.billing.rates import Rate
from ringfence.errors import InvalidInput

GOOD = Rate("4420", 45, 60, 30, 5, "EUR", "London")


def test_a_sound_price_is_accepted() -> None:
    assert checked(GOOD, "eur") is GOOD


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"prefix": "44a"}, "1 to 15 digits"),
        ({"prefix": ""}, "1 to 15 digits"),
        ({"prefix": "1" * 16}, "1 to 15 digits"),
        ({"price_per_minute": -1}, "whole minor units"),
        ({"connection_fee": 2_000_000}, "whole minor units"),
        ({"first": 0}, "1 to 3600"),
        ({"step": 3601}, "1 to 3600"),
        ({"currency": "USD"}, "in EUR"),
        ({"name": "x" * 81}, "80 characters"),
    ],
)
def test_a_wrong_price_is_refused_saying_why(changes: dict[str, object], message: str) -> None:
    rate = Rate(**{**GOOD.__dict__, **changes})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=message):
        checked(rate, "EUR")
