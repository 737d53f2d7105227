"""Every region and every type in the installed libphonenumber metadata yields only numbers that
libphonenumber itself calls valid and of the requested type."""

from __future__ import annotations

import random

import numpy as np
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringfence.services.numbers.generator import NumberGenerator, Request
from ringfence.services.numbers.kinds import KINDS
from ringfence.services.numbers.tables import all_pairs, kinds_for, table_for

PAIRS = all_pairs()


def _assert_valid(e164: str, region: str, kind: str) -> None:
    number = phonenumbers.parse(e164, None)
    assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == e164
    assert phonenumbers.is_valid_number(number), (region, kind, e164)
    assert phonenumbers.number_type(number) in KINDS[kind][1], (region, kind, e164)


def test_the_metadata_is_covered() -> None:
    regions = {region for region, _ in PAIRS}
    assert regions == set(phonenumbers.SUPPORTED_REGIONS)
    assert len(regions) >= 240
    assert {kind for _, kind in PAIRS} == set(KINDS)


@settings(max_examples=1500, deadline=None)
@given(pair=st.sampled_from(PAIRS), seed=st.integers(0, 2**32))
def test_property_every_number_is_valid_and_of_its_type(pair: tuple[str, str], seed: int) -> None:
    region, kind = pair
    e164 = NumberGenerator(seed).e164(Request(region, kind))
    _assert_valid(e164, region, kind)


def test_every_region_and_type_in_single_and_bulk_mode() -> None:
    rng = random.Random(7)
    for region, kind in PAIRS:
        table = table_for(region, kind)
        for _ in range(8):
            nsn = table.draw_nsn(rng)
            _assert_valid(f"+{table.country_code}{nsn}", region, kind)
        for batch in NumberGenerator(rng.randrange(2**32)).bulk(Request(region, kind), 8):
            for e164 in batch.tolist():
                _assert_valid(e164.decode(), region, kind)


def test_most_tables_are_exact_by_construction() -> None:
    """Verified-per-number tables are the exception (Argentina's prefix rewrite rules)."""
    checked = [(r, k) for r, k in PAIRS if table_for(r, k).checked]
    assert len(checked) <= 10, checked
    shared = [(r, k) for r, k in PAIRS if not table_for(r, k).own_region]
    assert ("CA", "toll_free") in shared
    for region, kind in shared:
        # Valid, and named by libphonenumber for a region of the same country code.
        table = table_for(region, kind)
        number = phonenumbers.parse(NumberGenerator(9).e164(Request(region, kind)), None)
        assert phonenumbers.is_valid_number(number)
        named = phonenumbers.region_code_for_number(number)
        assert named in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[table.country_code]
    # A Canadian toll-free number is NANP-wide: libphonenumber lists it under US.
    canadian = phonenumbers.parse(NumberGenerator(9).e164(Request("CA", "toll_free")), None)
    assert phonenumbers.region_code_for_number(canadian) == "US"


def test_own_region_numbers_belong_to_their_region() -> None:
    for region in ("GB", "JE", "CA", "KZ", "RU", "FI", "AX"):
        for kind in kinds_for(region):
            table = table_for(region, kind)
            if not table.own_region:
                continue
            number = phonenumbers.parse(NumberGenerator(1).e164(Request(region, kind)), None)
            assert phonenumbers.region_code_for_number(number) == region


def test_seeded_output_is_reproducible() -> None:
    first = list(NumberGenerator(42).numbers(Request("GB", "mobile"), 20))
    assert first == list(NumberGenerator(42).numbers(Request("GB", "mobile"), 20))
    assert first != list(NumberGenerator(43).numbers(Request("GB", "mobile"), 20))
    bulk = [b.tolist() for b in NumberGenerator(5).bulk(Request("BR"), 1000, batch=300)]
    assert bulk == [b.tolist() for b in NumberGenerator(5).bulk(Request("BR"), 1000, batch=300)]
    assert sum(len(b) for b in bulk) == 1000


def test_bulk_draws_cover_the_space() -> None:
    """Uniform sampling: 10,000 US mobiles are almost all distinct and span many area codes."""
    (batch,) = list(NumberGenerator(3).bulk(Request("US", "mobile"), 10_000))
    values = batch.tolist()
    assert len(set(values)) > 9_990
    assert len({v[2:5] for v in values}) > 250
    digits = np.frombuffer(b"".join(v[-4:] for v in values), dtype=np.uint8) - 48
    counts = np.bincount(digits, minlength=10)
    assert counts.min() > 0.8 * counts.mean()


def test_unknown_region_or_type() -> None:
    with pytest.raises(LookupError):
        table_for("XX", "mobile")
    with pytest.raises(LookupError):
        table_for("GB", "satellite")
