"""The regular-expression automata agree with Python's `re` on libphonenumber's own patterns."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneMetadata

from ringfence.services.numbers.automaton import Language, UnsupportedPattern, compile_pattern

PATTERNS = sorted(
    {
        desc.national_number_pattern
        for region in phonenumbers.SUPPORTED_REGIONS
        for name in ("general_desc", "fixed_line", "mobile", "toll_free", "premium_rate", "voip")
        if (desc := getattr(PhoneMetadata.metadata_for_region(region), name, None)) is not None
        and desc.national_number_pattern
    }
)
PREFIXES = sorted(
    {
        m.national_prefix_for_parsing
        for r in phonenumbers.SUPPORTED_REGIONS
        if (m := PhoneMetadata.metadata_for_region(r)).national_prefix_for_parsing
    }
)


@settings(max_examples=300)
@given(pattern=st.sampled_from(PATTERNS), digits=st.text("0123456789", min_size=1, max_size=15))
def test_fullmatch_agrees_with_re(pattern: str, digits: str) -> None:
    assert Language([compile_pattern(pattern)]).matches(digits) == bool(
        re.fullmatch(pattern, digits)
    )


@settings(max_examples=200)
@given(pattern=st.sampled_from(PATTERNS), data=st.data())
def test_strings_drawn_from_the_automaton_match_re(pattern: str, data: st.DataObject) -> None:
    lang = Language([compile_pattern(pattern)])
    lengths = [n for n in range(1, 18) if lang.total(n)]
    length = data.draw(st.sampled_from(lengths))
    blocks = lang.blocks(length, 50_000)
    assert blocks is not None
    row = data.draw(st.sampled_from(blocks))
    digits = "".join(
        str(data.draw(st.sampled_from([d for d in range(10) if mask >> d & 1]))) for mask in row
    )
    assert re.fullmatch(pattern, digits)


@settings(max_examples=200)
@given(pattern=st.sampled_from(PREFIXES), digits=st.text("0123456789", max_size=12))
def test_prefix_mode_agrees_with_re_match(pattern: str, digits: str) -> None:
    assert Language([compile_pattern(pattern, prefix=True)]).matches(digits) == bool(
        re.match(pattern, digits)
    )


def test_counts_and_exclusions_match_brute_force() -> None:
    include = r"(?:2[0-8]|3[1-9])\d{2}|45\d?"
    lang = Language([compile_pattern(include)], [compile_pattern("3[5-7]", prefix=True)])
    for n in range(1, 6):
        brute = sum(
            1
            for i in range(10**n)
            if re.fullmatch(include, s := str(i).zfill(n)) and not re.match("3[5-7]", s)
        )
        assert lang.total(n) == brute
        blocks = lang.blocks(n, 10_000) or []
        weights = sum(_weight(b) for b in blocks)
        assert weights == brute


def _weight(block: tuple[int, ...]) -> int:
    out = 1
    for mask in block:
        out *= mask.bit_count()
    return out


def test_unsupported_syntax_is_refused() -> None:
    with pytest.raises(UnsupportedPattern):
        compile_pattern(r"(?=1)\d")
