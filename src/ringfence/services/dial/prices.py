"""The lowest price a minute of a call to each country, from the operator's rate table, for the
dial page to show before a number is typed (the number's own price shows as it is typed).

A rate applies to a country when its prefix covers the country's calling code (``1`` covers the
United States) or starts with it (``4420`` is in the United Kingdom). Where countries share a
calling code (``+1``, ``+7``), a longer prefix libphonenumber places in another country (``1876``:
Jamaica) does not count for this one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers
from phonenumbers import PhoneMetadata

from ringfence.billing.rates import Rate


def _country_of(prefix: str, calling: int) -> str | None:
    """The country of a prefix longer than its shared calling code: the one whose leading
    digits it starts with (Jamaica's 876 after +1), else the code's main country."""
    national = prefix[len(str(calling)) :]
    for region in phonenumbers.region_codes_for_country_code(calling):
        meta = PhoneMetadata.metadata_for_region(region)
        if meta is not None and meta.leading_digits and re.match(meta.leading_digits, national):
            return str(region)
    main = phonenumbers.region_code_for_country_code(calling)
    return None if main == phonenumbers.UNKNOWN_REGION else str(main)


def lowest_prices(
    rates: Iterable[Rate], countries: Iterable[tuple[str, int]], currency: str
) -> dict[str, int]:
    """``{country: lowest price a minute}`` (minor units of ``currency``) for each country
    (ISO code, calling code) a rate of that currency applies to."""
    priced = [r for r in rates if r.currency == currency]
    out: dict[str, int] = {}
    for code, calling in countries:
        cc = str(calling)
        shared = len(phonenumbers.region_codes_for_country_code(calling)) > 1
        prices = []
        for rate in priced:
            if cc.startswith(rate.prefix):
                prices.append(rate.price_per_minute)
            elif rate.prefix.startswith(cc):
                elsewhere = _country_of(rate.prefix, calling) if shared else None
                if elsewhere in (None, code):
                    prices.append(rate.price_per_minute)
        if prices:
            out[code] = min(prices)
    return out
