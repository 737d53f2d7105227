"""The lowest price a minute to each country, from a rate table, before a number is typed."""

from __future__ import annotations

from ringfence.billing.rates import RateTable
from ringfence.services.dial.prices import lowest_prices

RATES = """prefix,price_per_minute,increment,connection_fee,currency,name
44,60,1/1,10,EUR,United Kingdom
447,25,1/1,0,EUR,United Kingdom mobile
1,6,60/60,0,EUR,North America
1876,90,60/60,0,EUR,Jamaica
1212,2,60/60,0,EUR,New York
53,120,60/60,0,EUR,Cuba
49,3,60/60,0,USD,Germany in dollars
"""
COUNTRIES = [("GB", 44), ("US", 1), ("JM", 1), ("CU", 53), ("DE", 49), ("FR", 33)]


def test_the_lowest_price_of_each_country_a_rate_applies_to() -> None:
    prices = lowest_prices(RateTable.from_csv(RATES).rates, COUNTRIES, "EUR")
    assert prices["GB"] == 25  # its cheapest prefix, mobiles
    assert prices["US"] == 2  # New York's area code is in the US
    assert prices["JM"] == 6  # +1 covers Jamaica too; New York's rate does not
    assert prices["CU"] == 120
    # Germany is priced only in another currency, France not at all: no price is shown.
    assert "DE" not in prices and "FR" not in prices
