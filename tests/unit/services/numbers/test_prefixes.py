"""Numbers restricted to a prefix: every one starts with it and is still valid and of its type."""

from __future__ import annotations

import phonenumbers
import pytest

from ringfence.services.numbers.generator import NumberGenerator, Request
from ringfence.services.numbers.kinds import KINDS
from ringfence.services.numbers.prefixes import NoNumbersWithPrefix, check_prefix


@pytest.mark.parametrize(
    ("region", "kind", "prefix"),
    [
        ("US", None, "415"),
        ("GB", None, "20"),
        ("GB", "mobile", "77"),
        ("DE", "fixed_line", "30"),
        ("FR", "mobile", "6"),
        ("IN", "mobile", "98"),
        ("AU", "fixed_line", "2"),
        ("AR", "mobile", "911"),  # a checked table: every number verified
    ],
)
def test_every_number_starts_with_the_prefix_and_is_valid(
    region: str, kind: str | None, prefix: str
) -> None:
    generator = NumberGenerator(7)
    request = Request(region, kind, prefix=prefix)
    single = list(generator.numbers(request, 200))
    bulk = [b.decode() for batch in generator.bulk(request, 3000, batch=1000) for b in batch]
    assert len(bulk) == 3000
    for e164 in single + bulk[:1500]:
        number = phonenumbers.parse(e164, None)
        assert phonenumbers.national_significant_number(number).startswith(prefix), e164
        assert phonenumbers.is_valid_number(number), e164
        assert phonenumbers.region_code_for_number(number) == region
        if kind is not None:
            assert phonenumbers.number_type(number) in KINDS[kind][1]
    # Not one number repeated over and over: the restriction keeps the draw spread out.
    assert len(set(bulk)) > 2900


def test_fiction_ranges_are_cut_to_the_prefix() -> None:
    generator = NumberGenerator(1)
    london = list(generator.numbers(Request("GB", None, safe=True, prefix="20"), 100))
    assert all(n.startswith("+44207946") for n in london)
    narrow = [b.decode() for b in next(generator.bulk(Request("US", None, True, "212"), 500))]
    assert all(n.startswith("+12125550") and "0100" <= n[-4:] <= "0199" for n in narrow)


@pytest.mark.parametrize(
    ("request_", "fragment"),
    [
        (Request("GB", None, prefix="020"), "without the trunk prefix 0: try 20"),
        (Request("GB", "mobile", prefix="20"), "no mobile number of GB starts with 20"),
        (Request("US", None, prefix="0"), "no mobile or fixed-line number of US starts with 0"),
        (Request("GB", "mobile", True, "20"), "the reserved ranges start with 77"),
    ],
)
def test_an_impossible_prefix_says_so(request_: Request, fragment: str) -> None:
    with pytest.raises(NoNumbersWithPrefix, match=fragment):
        NumberGenerator(1).e164(request_)
    with pytest.raises(NoNumbersWithPrefix):
        next(NumberGenerator(1).bulk(request_, 10))


def test_prefix_text() -> None:
    assert check_prefix(" 4 15 ") == "415"
    assert check_prefix("(020)") == "020"
    assert check_prefix("") == ""
    for bad in ("41x", "+44", "١٢", "1" * 13):
        with pytest.raises(ValueError):
            check_prefix(bad)
