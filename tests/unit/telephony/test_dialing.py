"""Dialing permissions: each refusal names its reason."""

from __future__ import annotations

import pytest

from ringfence.errors import ConfigurationError, Forbidden, InvalidInput
from ringfence.settings import DialingSettings, load_settings
from ringfence.telephony.dialing import PHONES, DialingPolicy, parse

POLICY = DialingPolicy(DialingSettings())


@pytest.mark.parametrize(
    ("raw", "region", "e164", "kind"),
    [
        ("020 7946 0958", "GB", "+442079460958", "a fixed line"),
        ("+44 7400 123456", None, "+447400123456", "a mobile"),
        ("(201) 555-0123", "US", "+12015550123", "a fixed line or mobile"),
        ("030 1234567", "DE", "+49301234567", "a fixed line"),
    ],
)
def test_phones_are_accepted(raw: str, region: str | None, e164: str, kind: str) -> None:
    number = parse(raw, region)
    POLICY.check(number, kinds=PHONES)
    assert number.e164 == e164 and number.kind_name == kind


@pytest.mark.parametrize(
    ("raw", "region", "error", "message"),
    [
        ("911", "US", Forbidden, "emergency numbers"),
        ("112", "DE", Forbidden, "emergency numbers"),
        ("999", "GB", Forbidden, "emergency numbers"),
        ("+1 900 555 0100", None, Forbidden, "premium-rate"),
        ("09098790000", "GB", Forbidden, "premium-rate"),
        ("0800 123 4567", "GB", Forbidden, "toll-free"),
        ("+53 5 1234567", None, Forbidden, "calls to CU are not enabled"),
        ("+1 876 555 1234", None, Forbidden, "calls to JM are not enabled"),
        ("12", "GB", InvalidInput, "too short for GB"),
        ("020 7946 09581234", "GB", InvalidInput, "too long for GB"),
        ("2015550123", None, InvalidInput, "choose a country"),
        ("+999 1234567", None, InvalidInput, "country code does not exist"),
        ("ring me", "GB", InvalidInput, "not a phone number"),
        ("", "GB", InvalidInput, "type a phone number"),
        ("020 7946 0958", "XX", InvalidInput, "XX is not a country code"),
    ],
)
def test_refusals_say_why(raw: str, region: str | None, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        POLICY.check(parse(raw, region), kinds=PHONES)


def test_the_operator_allows_countries_and_blocks_prefixes() -> None:
    only_gb = DialingPolicy(DialingSettings(allowed_countries=["gb"], blocked_prefixes=["4420"]))
    with pytest.raises(Forbidden, match="calls to US are not enabled"):
        only_gb.check(parse("+1 201 555 0123", None))
    with pytest.raises(Forbidden, match=r"starting \+4420 are blocked"):
        only_gb.check(parse("020 7946 0958", "GB"))
    only_gb.check(parse("+44 7400 123456", None))
    assert DialingPolicy(DialingSettings(blocked_countries=[])).permits_country("CU")


def test_bad_dialing_settings_stop_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RINGFENCE_TELEPHONY__DIALING__BLOCKED_PREFIXES", '["+1900", "19x"]')
    with pytest.raises(ConfigurationError, match="not a dialling prefix"):
        load_settings()
