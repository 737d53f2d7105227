"""Fiction mode draws only from the ranges regulators publish, checked here bound by bound."""

from __future__ import annotations

import phonenumbers
import pytest

from ringfence.services.numbers.describe import describe_e164
from ringfence.services.numbers.fiction import NANP_REGIONS, RESERVED_FOR, find_range, ranges_for
from ringfence.services.numbers.generator import NoFictionalRange, NumberGenerator, Request

# The published bounds, as dialled nationally (trunk prefix included), one line per range.
PUBLISHED = {
    "GB": [
        ("0113 496 0000", "0113 496 0999"),
        ("0114 496 0000", "0114 496 0999"),
        ("0115 496 0000", "0115 496 0999"),
        ("0116 496 0000", "0116 496 0999"),
        ("0117 496 0000", "0117 496 0999"),
        ("0118 496 0000", "0118 496 0999"),
        ("0121 496 0000", "0121 496 0999"),
        ("0131 496 0000", "0131 496 0999"),
        ("0141 496 0000", "0141 496 0999"),
        ("0151 496 0000", "0151 496 0999"),
        ("0161 496 0000", "0161 496 0999"),
        ("0191 498 0000", "0191 498 0999"),
        ("020 7946 0000", "020 7946 0999"),
        ("029 2018 0000", "029 2018 0999"),
        ("028 9649 6000", "028 9649 6999"),
        ("01632 960000", "01632 960999"),
        ("07700 900000", "07700 900999"),
        ("0808 157 0000", "0808 157 0999"),
        ("0909 879 0000", "0909 879 0999"),
        ("0306 999 0000", "0306 999 0999"),
    ],
    "DE": [
        ("030 23125 000", "030 23125 999"),
        ("069 90009 000", "069 90009 999"),
        ("040 66969 000", "040 66969 999"),
        ("0221 4710 000", "0221 4710 999"),
        ("089 99998 000", "089 99998 999"),
        ("0152 28817386", "0152 28817386"),
    ],
    "AU": [
        *((f"0{a} {p} 0000", f"0{a} {p} 9999") for a in "2378" for p in ("5550", "7010")),
        # ACMA's thirty mobile numbers, in the order of its list.
        *(
            (f"0491 {n}", f"0491 {n}")
            for n in (
                "570 006",
                "570 156",
                "570 157",
                "570 158",
                "570 159",
                "570 110",
                "570 313",
                "570 737",
                "571 266",
                "571 491",
                "571 804",
                "572 549",
                "572 665",
                "572 983",
                "573 770",
                "573 087",
                "574 118",
                "574 632",
                "575 254",
                "575 789",
                "576 398",
                "576 801",
                "577 426",
                "577 644",
                "578 957",
                "578 148",
                "578 888",
                "579 212",
                "579 760",
                "579 455",
            )
        ),
        ("1800 160 401", "1800 160 401"),
        ("1800 975 707", "1800 975 711"),
        ("1300 975 707", "1300 975 711"),
        ("1900 654 321", "1900 654 321"),
    ],
    "SE": [
        ("070-174 06 05", "070-174 06 99"),
        ("08-465 004 00", "08-465 004 99"),
        ("031-390 06 00", "031-390 06 99"),
        ("040-628 04 00", "040-628 04 99"),
        ("0980-319 200", "0980-319 299"),
    ],
    "IE": [("020 910 0000", "020 919 9999")],
    # Arcep, decision 2018-0881, annex 1, article 2.5.12: six roots of 10,000 numbers each.
    "FR": [
        ("01 99 00 00 00", "01 99 00 99 99"),
        ("02 61 91 00 00", "02 61 91 99 99"),
        ("03 53 01 00 00", "03 53 01 99 99"),
        ("04 65 71 00 00", "04 65 71 99 99"),
        ("05 36 49 00 00", "05 36 49 99 99"),
        ("06 39 98 00 00", "06 39 98 99 99"),
    ],
}


def _nsn(national: str, region: str) -> str:
    return phonenumbers.national_significant_number(phonenumbers.parse(national, region))


@pytest.mark.parametrize("region", sorted(PUBLISHED))
def test_ranges_match_the_published_bounds(region: str) -> None:
    expected = {(_nsn(a, region), _nsn(b, region)) for a, b in PUBLISHED[region]}
    assert {(r.first, r.last) for r in ranges_for(region)} == expected
    assert all(r.source for r in ranges_for(region))


@pytest.mark.parametrize("region", ["US", "CA", "JM", "PR"])
def test_nanp_555_01xx_in_each_area_code_and_800_555_0199(region: str) -> None:
    ranges = ranges_for(region)
    geographic = [r for r in ranges if r.kind == "fixed_line"]
    assert geographic
    for r in geographic:
        assert r.first[3:] == "5550100" and r.last[3:] == "5550199"
        assert r.first[:3] == r.last[:3]
    assert [(r.first, r.last) for r in ranges if r.kind == "toll_free"] == [
        ("8005550199", "8005550199")
    ]
    if region == "JM":
        assert {r.first[:3] for r in geographic} <= {"658", "876"}


def test_every_nanp_region_has_ranges() -> None:
    for region in NANP_REGIONS:
        assert ranges_for(region), region


@pytest.mark.parametrize("region", ["US", "GB", "DE", "AU", "SE", "IE", "FR", "CA"])
def test_fiction_numbers_are_inside_a_reserved_range(region: str) -> None:
    generator = NumberGenerator(11)
    ranges = ranges_for(region)
    for e164 in generator.numbers(Request(region, None, safe=True), 200):
        nsn = phonenumbers.national_significant_number(phonenumbers.parse(e164, None))
        assert any(r.contains(nsn) for r in ranges), e164
        info = describe_e164(e164)
        assert info.fictional and info.fiction_source
    for batch in generator.bulk(Request(region, None, safe=True), 500):
        for e164 in batch.tolist():
            nsn = phonenumbers.national_significant_number(phonenumbers.parse(e164.decode(), None))
            assert any(r.contains(nsn) for r in ranges), e164


def _common_prefix(first: str, last: str) -> str:
    for i, (a, b) in enumerate(zip(first, last, strict=True)):
        if a != b:
            return first[:i]
    return first


@pytest.mark.parametrize("region", sorted(PUBLISHED))
def test_every_range_draws_inside_itself_and_names_its_regulator(region: str) -> None:
    """Each published range, asked for by its type and its leading digits, gives numbers inside
    that range only (single and bulk draws), each saying which regulator reserves it."""
    generator = NumberGenerator(23)
    for reserved in ranges_for(region):
        prefix = _common_prefix(reserved.first, reserved.last)
        request = Request(region, reserved.kind, safe=True, prefix=prefix)
        singles = list(generator.numbers(request, 20))
        bulk = [n.decode() for batch in generator.bulk(request, 200) for n in batch.tolist()]
        regulator = RESERVED_FOR[reserved.source][1]
        for e164 in [*singles, *bulk[:20]]:
            info = describe_e164(e164)
            nsn = phonenumbers.national_significant_number(phonenumbers.parse(e164, None))
            assert info.fiction_source == reserved.source
            assert info.fiction_note is not None and regulator in info.fiction_note
        for e164 in [*singles, *bulk]:
            nsn = phonenumbers.national_significant_number(phonenumbers.parse(e164, None))
            # Inside this range, or another of the same regulator sharing its leading digits.
            found = find_range(region, nsn)
            assert found is not None and found.source == reserved.source, e164
        inside = [
            e
            for e in bulk
            if reserved.contains(phonenumbers.national_significant_number(phonenumbers.parse(e)))
        ]
        assert inside, reserved


def test_type_filter_in_fiction_mode() -> None:
    gen = NumberGenerator(1)
    for e164 in gen.numbers(Request("GB", "mobile", safe=True), 50):
        assert e164.startswith("+447700900")
    assert set(gen.numbers(Request("US", "toll_free", safe=True), 5)) == {"+18005550199"}


def test_both_flags_are_reported_honestly() -> None:
    """Some reserved numbers are valid to libphonenumber, some are not; both are fictional."""
    nanp = describe_e164("+12015550123")
    assert nanp.fictional and nanp.valid
    uk_mobile = describe_e164("+447700900123")
    assert uk_mobile.fictional and not uk_mobile.valid
    paris = describe_e164("+33199001234")  # Arcep's Île-de-France root: valid and fictional
    assert paris.fictional and paris.valid
    french_mobile = describe_e164("+33639981234")  # its mobile root: not valid
    assert french_mobile.fictional and not french_mobile.valid
    real_looking = describe_e164("+447911123456")
    assert real_looking.valid and not real_looking.fictional


@pytest.mark.parametrize(("region", "kind"), [("NL", None), ("JP", None), ("DE", "toll_free")])
def test_no_reserved_range_is_an_error_not_a_real_number(region: str, kind: str | None) -> None:
    with pytest.raises(NoFictionalRange, match="no .*range reserved for fiction"):
        NumberGenerator(1).e164(Request(region, kind, safe=True))
