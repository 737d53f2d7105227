"""Country choices name countries as they are called now, in every country select."""

from __future__ import annotations

import phonenumbers
from fastapi import Request

from ringfence.http.countries import countries, country_name, for_reader, reader_language


def test_current_names_not_the_geocoders_old_ones() -> None:
    names = {code: name for code, name, _ in countries()}
    assert names["TR"] == "Türkiye"
    assert names["CZ"] == "Czechia"
    assert names["MK"] == "North Macedonia"
    assert names["SZ"] == "Eswatini"
    assert not {"Turkey", "Czech Republic", "Macedonia", "Swaziland"} & set(names.values())


def test_every_region_dialled_is_listed_once_with_its_calling_code() -> None:
    listed = countries()
    assert {code for code, _, _ in listed} == set(phonenumbers.SUPPORTED_REGIONS)
    assert ("GB", "United Kingdom", 44) in listed
    assert all(name and name != code for code, name, _ in listed)  # CLDR names every one


def test_sorted_by_name_with_accents_in_their_letter() -> None:
    order = [name for _, name, _ in countries()]
    assert order.index("Åland Islands") < order.index("Albania")
    assert order.index("Tunisia") < order.index("Türkiye") < order.index("Turkmenistan")


def test_names_in_another_language_and_by_code() -> None:
    assert dict((c, n) for c, n, _ in countries("de"))["DE"] == "Deutschland"
    assert country_name("tr") == "Türkiye"
    assert country_name("") == ""
    assert country_name("ZZ") == "ZZ"  # not a region: shown as it came
    assert dict((c, n) for c, n, _ in countries("xx-unknown"))["TR"] == "Türkiye"


def _request(accept_language: str | None) -> Request:
    headers = [] if accept_language is None else [(b"accept-language", accept_language.encode())]
    return Request({"type": "http", "headers": headers})


def test_named_in_the_readers_language() -> None:
    assert dict((c, n) for c, n, _ in for_reader(_request("fr-CH, fr;q=0.9")))["DE"] == "Allemagne"
    assert dict((c, n) for c, n, _ in for_reader(_request(None)))["DE"] == "Germany"
    assert country_name("DE", reader_language(_request("de"))) == "Deutschland"
