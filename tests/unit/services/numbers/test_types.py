"""Every output names each number's own type, as phonenumbers.number_type reports it, and a
fiction number says who reserves it instead of "unknown"."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter

import numpy as np
import phonenumbers

from ringfence.services.numbers import export, service
from ringfence.services.numbers.describe import describe_e164
from ringfence.services.numbers.fiction import NANP_REGIONS, fiction_regions, ranges_for
from ringfence.services.numbers.generator import NumberGenerator, Request, range_type
from ringfence.services.numbers.kinds import type_name
from ringfence.services.numbers.tables import all_pairs


def _own_type(e164: str) -> str:
    return type_name(phonenumbers.number_type(phonenumbers.parse(e164, None)))


def _own_region(e164: str) -> str:
    return str(phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)))


def test_bulk_types_are_what_phonenumbers_reports_for_every_region_and_type() -> None:
    rng = random.Random(3)
    reported: Counter[str] = Counter()
    for region, kind in all_pairs():
        for numbers, types, regions in NumberGenerator(rng.randrange(2**32)).bulk_typed(
            Request(region, kind), 24
        ):
            for e164, code, place in zip(
                numbers.tolist(), types.tolist(), regions.tolist(), strict=True
            ):
                assert type_name(code) == _own_type(e164.decode()), (region, kind, e164)
                assert place.decode() == _own_region(e164.decode()), (region, kind, e164)
                reported[type_name(code)] += 1
    # Both kinds of fixed line are reported, not the requested type repeated.
    assert reported["fixed_line"] and reported["fixed_line_or_mobile"] and reported["mobile"]


def test_a_mixed_request_types_each_number() -> None:
    """Mobile and fixed line drawn together: each row says which it is."""
    for region in ("GB", "DE", "US", "BR", "AR"):
        for numbers, types, _ in NumberGenerator(11).bulk_typed(Request(region), 2_000):
            names = [type_name(c) for c in types.tolist()]
            assert names == [_own_type(n.decode()) for n in numbers.tolist()]


def test_fiction_numbers_name_their_reserved_type_and_regulator() -> None:
    for region in fiction_regions():
        for numbers, types, _ in NumberGenerator(5).bulk_typed(Request(region, safe=True), 50):
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
    rows = list(csv.DictReader(io.StringIO(b"".join(export.brief(batches, "csv", False)).decode())))
    assert len(rows) == 3_000
    assert {r["type"] for r in rows} == {"mobile", "fixed_line"}
    assert all(r["type"] == _own_type(r["e164"]) for r in rows)
    lines = b"".join(export.brief(batches, "jsonl", False)).decode().splitlines()
    assert [json.loads(line) for line in lines] == [
        {
            "e164": r["e164"],
            "region": "GB",
            "type": r["type"],
            "fictional": False,
            "reserved_by": None,
        }
        for r in rows
    ]
    # One type per batch: the joined fast path.
    (us,) = service.bulk_e164(service.parse_request("US", "mobile", False), 100, seed=4)
    text = b"".join(export.brief([us], "csv", False)).decode()
    assert text.splitlines()[1:] == [f"{n},US,fixed_line_or_mobile,false," for n in us.numbers]


def _brief_rows(region: str, kind: str | None, safe: bool, count: int) -> list[dict[str, str]]:
    request = service.parse_request(region, kind, safe)
    batches = service.bulk_e164(request, count, seed=9)
    chunks = export.brief(batches, "csv", safe, "e164", service.reserved_by(request))
    return list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))


def test_the_region_column_is_what_phonenumbers_names_for_each_number() -> None:
    """A shared country code's non-geographic ranges belong, to libphonenumber, to its main
    region: Canadian toll-free numbers are US numbers, Jersey's freephone GB's."""
    for region, kind, expected in [
        ("CA", "toll_free", {"US"}),
        ("JM", "premium_rate", {"US"}),
        ("JE", "toll_free", {"GB"}),
        ("AX", "mobile", {"FI"}),
        ("CA", "fixed_line", {"CA"}),
        ("JE", "fixed_line", {"JE"}),
    ]:
        rows = _brief_rows(region, kind, False, 300)
        assert {r["region"] for r in rows} == expected, (region, kind)
        assert all(r["region"] == _own_region(r["e164"]) for r in rows)
    # A mixed request keeps each row's own region through the mixed (per-row) path.
    mixed = service.parse_request("CA", "toll_free", False)
    (batch,) = service.bulk_e164(mixed, 50, seed=2)
    batch = service.NumberBatch(
        batch.e164, batch.types, np.where(np.arange(50) % 2 == 0, b"US", b"CA").astype("S3")
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(export.brief([batch], "csv", False)).decode())))
    assert [r["region"] for r in rows] == ["US" if i % 2 == 0 else "CA" for i in range(50)]


def test_fiction_rows_name_their_regulator_and_libphonenumbers_region() -> None:
    """CA's fiction toll-free number is a US number to libphonenumber; a UK drama mobile is one
    it cannot place, so the row keeps the region that reserves it."""
    toll_free = _brief_rows("CA", "toll_free", True, 5)
    assert {(r["e164"], r["region"], r["reserved_by"]) for r in toll_free} == {
        ("+18005550199", "US", "NANPA")
    }
    uk = _brief_rows("GB", "mobile", True, 20)
    assert phonenumbers.region_code_for_number(phonenumbers.parse(uk[0]["e164"])) is None
    assert {(r["region"], r["reserved_by"], r["fictional"]) for r in uk} == {
        ("GB", "Ofcom", "true")
    }
    for region in fiction_regions():
        rows = _brief_rows(region, None, True, 30)
        for row in rows:
            place = phonenumbers.region_code_for_number(phonenumbers.parse(row["e164"]))
            assert row["region"] == (place or region), row
            assert row["reserved_by"] and row["fictional"] == "true"
