"""Rates from the operator's CSV and the charge of a call."""

from __future__ import annotations

import pytest

from ringfence.billing.rates import RateTable
from ringfence.errors import Forbidden, InvalidInput

CSV = """prefix,price_per_minute,increment,connection_fee,currency,name
44,2,60/60,0,EUR,United Kingdom
447,12,1/1,5,EUR,United Kingdom mobile
1,1,30/6,0,EUR,North America
"""


HEADER = "prefix,price_per_minute,increment,connection_fee,currency\n"


def test_longest_prefix_and_increments() -> None:
    table = RateTable.from_csv(CSV)
    uk, mobile, nanp = (table.lookup(n) for n in ("+442079460958", "+447400123456", "+12015550123"))
    assert uk.name == "United Kingdom" and mobile.name == "United Kingdom mobile"
    assert uk.billed_seconds(61) == 120 and uk.charge(61) == 4 and uk.charge(0) == 0
    assert mobile.billed_seconds(61) == 61 and mobile.charge(61) == 5 + 13  # 12.2 rounded up
    assert nanp.billed_seconds(10) == 30 and nanp.billed_seconds(31) == 36
    assert uk.max_seconds(10) == 300 and uk.charge(300) == 10
    assert mobile.max_seconds(4) == 0  # not even the connection fee
    longest = mobile.max_seconds(100)
    assert mobile.charge(longest) <= 100 < mobile.charge(longest + 1)
    with pytest.raises(Forbidden, match="not offered"):
        table.lookup("+33123456789")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prefix,price_per_minute\n44,1\n", "missing column"),
        (HEADER + "44,x,60/60,0,EUR\n", "line 2"),
        (HEADER + "4a,1,60/60,0,EUR\n", "prefix"),
        (HEADER + "44,-1,60/60,0,EUR\n", "prices"),
    ],
)
def test_bad_rate_tables_say_which_line(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        RateTable.from_csv(text)
