"""Every output names each number's own type, as phonenumbers.number_type reports it, and a
fiction number says who reserves it instead of "unknown"."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter

import phonenumbers

from ringfence.services.numbers import export, service
from ringfence.services.numbers.describe import describe_e164
from ringfence.services.numbers.fiction import NANP_REGIONS, fiction_regions, ranges_for
from ringfence.services.numbers.generator import NumberGenerator, Request, range_type
from ringfence.services.numbers.kinds import type_name
from ringfence.services.numbers.tables import all_pairs


def _own_type(e164: str) -> str:
    return type_name(phonenumbers.number_type(phonenumbers.parse(e164, None)))


def test_bulk_types_are_what_phonenumbers_reports_for_every_region_and_type() -> None:
    rng = random.Random(3)
    reported: Counter[str] = Counter()
    for region, kind in all_pairs():
        for numbers, types in NumberGenerator(rng.randrange(2**32)).bulk_typed(
            Request(region, kind), 24
        ):
            for e164, code in zip(numbers.tolist(), types.tolist(), strict=True):
                assert type_name(code) == _own_type(e164.decode()), (region, kind, e164)
                reported[type_name(code)] += 1
    # Both kinds of fixed line are reported, not the requested type repeated.
    assert reported["fixed_line"] and reported["fixed_line_or_mobile"] and reported["mobile"]


def test_a_mixed_request_types_each_number() -> None:
    """Mobile and fixed line drawn together: each row says which it is."""
    for region in ("GB", "DE", "US", "BR", "AR"):
        for numbers, types in NumberGenerator(11).bulk_typed(Request(region), 2_000):
            names = [type_name(c) for c in types.tolist()]
            assert names == [_own_type(n.decode()) for n in numbers.tolist()]


def test_fiction_numbers_name_their_reserved_type_and_regulator() -> None:
    for region in fiction_regions():
        for numbers, types in NumberGenerator(5).bulk_typed(Request(region, safe=True), 50):
            for e164, code in zip(numbers.tolist(), types.tolist(), strict=True):
                info = describe_e164(e164.decode())
                assert info.fictional and info.type == type_name(code) != "unknown", info
                assert info.fiction_note and info.fiction_note.startswith("reserved for ")
    mobile = describe_e164("+447700900123")
    assert mobile.type == "mobile" and not mobile.valid
    assert mobile.fiction_note is not None
    assert mobile.fiction_note.startswith("reserved for drama by Ofcom; libphonenumber does not")
    berlin = describe_e164("+493023125123")
    assert berlin.fiction_note is not None and "Bundesnetzagentur" in berlin.fiction_note


def test_every_reserved_range_is_of_one_type() -> None:
    """Fiction bulk mode types a number by its range: every number of a range (or a sample of
    the large ones, and of each NANP area code's) is of the range's type."""
    rng = random.Random(17)
    for region in fiction_regions():
        for reserved in ranges_for(region):
            cc = phonenumbers.country_code_for_region(region)
            width = len(reserved.first)
            if reserved.size <= 1_000 and region not in NANP_REGIONS:
                values = range(int(reserved.first), int(reserved.last) + 1)
            else:
                values = [int(reserved.first) + rng.randrange(reserved.size) for _ in range(5)]
            expected = type_name(range_type(reserved))
            for value in values:
                e164 = f"+{cc}{value:0{width}d}"
                assert describe_e164(e164).type == expected, (reserved, e164)


def test_csv_and_jsonl_carry_each_numbers_type() -> None:
    request = service.parse_request("GB", None, False)
    batches = list(service.bulk_e164(request, 3_000, seed=4))
    rows = list(
        csv.DictReader(io.StringIO(b"".join(export.brief(batches, "csv", "GB", False)).decode()))
    )
    assert len(rows) == 3_000
    assert {r["type"] for r in rows} == {"mobile", "fixed_line"}
    assert all(r["type"] == _own_type(r["e164"]) for r in rows)
    lines = b"".join(export.brief(batches, "jsonl", "GB", False)).decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {"e164": r["e164"], "region": "GB", "type": r["type"], "fictional": False} for r in rows
    ]
    # One type per batch: the joined fast path.
    (us,) = service.bulk_e164(service.parse_request("US", "mobile", False), 100, seed=4)
    text = b"".join(export.brief([us], "csv", "US", False)).decode()
    assert text.splitlines()[1:] == [f"{n},US,fixed_line_or_mobile,false" for n in us.numbers]
