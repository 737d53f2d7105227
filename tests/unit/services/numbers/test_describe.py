"""What a check says of a number's place: the geocoder's place, a country by its current name."""

from __future__ import annotations

from ringfence.services.numbers.describe import describe_e164


def test_a_country_is_said_by_its_current_name_a_city_as_it_is() -> None:
    assert describe_e164("+905321234567").description == "Türkiye"  # the geocoder: "Turkey"
    assert describe_e164("+420601123456").description == "Czechia"
    assert describe_e164("+902125551234").description == "Istanbul (Europe)"
    assert describe_e164("+447700900123").description == ""  # a drama number: no place
