"""Number formats: the option's parsing and what each writes for every region."""

from __future__ import annotations

import numpy as np
import phonenumbers
import pytest

from ringfence.errors import InvalidInput
from ringfence.services.numbers.formats import Formats, formatted, formatter, parse_formats
from ringfence.services.numbers.service import NumberBatch


def test_one_option_carries_a_file_and_a_number_format() -> None:
    assert parse_formats([]) == Formats("csv", "e164")
    assert parse_formats(["jsonl"]) == Formats("jsonl", "e164")
    assert parse_formats(["national", "TXT"]) == Formats("txt", "national")
    assert parse_formats(["rfc3966"], files=()) == Formats("", "rfc3966")
    with pytest.raises(InvalidInput, match="unknown format 'xml'; accepted: csv, jsonl, txt"):
        parse_formats(["xml"])
    with pytest.raises(InvalidInput, match="unknown format 'csv'"):
        parse_formats(["csv"], files=())
    with pytest.raises(InvalidInput, match="two formats of the same kind"):
        parse_formats(["national", "international"])


def test_each_format_as_libphonenumber_writes_it() -> None:
    e164 = "+442079460123"
    assert formatter("e164")(e164) == e164
    assert formatter("national")(e164) == "020 7946 0123"
    assert formatter("international")(e164) == "+44 20 7946 0123"
    assert formatter("rfc3966")(e164) == "tel:+44-20-7946-0123"
    batch = NumberBatch(
        np.array([b"+14155550123"], dtype="S"), np.array([1]), np.array([b"US"], dtype="S3")
    )
    (out,) = formatted([batch], "national")
    assert out.numbers == ["(415) 555-0123"] and out.types.tolist() == [1]  # types kept
    assert out.regions.tolist() == [b"US"]  # and regions


@pytest.mark.parametrize("style", ["national", "international", "rfc3966"])
def test_no_format_needs_escaping_in_csv_or_json(style: str) -> None:
    # export.brief writes numbers unquoted: no region's format may produce , " or \.
    write = formatter(style)
    for region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        if example is None:
            continue
        text = write(phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164))
        assert not set(text) & set(',"\\\n'), (region, text)
