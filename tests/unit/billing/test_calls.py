"""What calls cost: the operator's table, and nothing for the test phone while it is the carrier."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.billing.calls import CallCharges
from ringfence.errors import Forbidden, ServiceUnavailable
from ringfence.testing.clock import FakeClock
from tests.conftest import SettingsFactory

TEST_PHONE = "+441134960123"
RATES = "prefix,price_per_minute,increment,connection_fee,currency\n44,60,60/60,10,EUR\n"
A_TRUNK = {"carriers": [{"name": "t", "host": "127.0.0.1"}]}


def test_calls_to_the_test_phone_are_free_without_a_rate_table(
    make_settings: SettingsFactory,
) -> None:
    charges = CallCharges(make_settings(), FakeClock())
    rate = charges.rate(TEST_PHONE)
    assert rate.charge(3600) == 0 and rate.max_seconds(0) > 0
    with pytest.raises(Forbidden, match="no rate"):  # nothing else is offered
        charges.rate("+442079460123")


def test_the_test_phone_stays_free_beside_the_operators_rates(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    table = tmp_path / "rates.csv"
    table.write_text(RATES)
    charges = CallCharges(make_settings(billing={"rates_file": table}), FakeClock())
    assert charges.rate(TEST_PHONE).charge(60) == 0
    assert charges.rate("+442079460123").charge(60) == 70


def test_with_a_carrier_there_is_no_free_rate(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    with pytest.raises(ServiceUnavailable, match="no rate table"):
        _ = CallCharges(make_settings(telephony=A_TRUNK), FakeClock()).rates
    table = tmp_path / "rates.csv"
    table.write_text(RATES)
    settings = make_settings(telephony=A_TRUNK, billing={"rates_file": table})
    assert CallCharges(settings, FakeClock()).rate(TEST_PHONE).charge(60) == 70
