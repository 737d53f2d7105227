"""What calls cost: the operator's table with the console's prices, and nothing for the test
phone while it is the carrier (on the store, since the console's prices live there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.billing.calls import CallCharges
from ringfence.billing.rates import Rate
from ringfence.errors import Forbidden, ServiceUnavailable
from ringfence.store import Database
from ringfence.testing.clock import FakeClock
from tests.conftest import SettingsFactory

pytestmark = pytest.mark.integration
TEST_PHONE = "+441134960123"
RATES = "prefix,price_per_minute,increment,connection_fee,currency\n44,60,60/60,10,EUR\n"
A_TRUNK = {"carriers": [{"name": "t", "host": "127.0.0.1"}]}


async def test_calls_to_the_test_phone_are_free_without_a_rate_table(
    make_settings: SettingsFactory, db: Database
) -> None:
    charges = CallCharges(make_settings(), FakeClock())
    async with db.session() as session:
        rate = await charges.rate(session, TEST_PHONE)
        assert rate.charge(3600) == 0 and rate.max_seconds(0) > 0
        with pytest.raises(Forbidden, match="no rate"):  # nothing else is offered
            await charges.rate(session, "+442079460123")


async def test_the_test_phone_stays_free_beside_the_operators_rates_and_prices(
    make_settings: SettingsFactory, db: Database, tmp_path: Path
) -> None:
    table = tmp_path / "rates.csv"
    table.write_text(RATES)
    charges = CallCharges(make_settings(billing={"rates_file": table}), FakeClock())
    async with db.session() as session:
        assert (await charges.rate(session, TEST_PHONE)).charge(60) == 0
        assert (await charges.rate(session, "+442079460123")).charge(60) == 70
        # An operator's price for the whole UK in the console does not make the test phone paid.
        await charges.prices.set(session, Rate("44", 90, 60, 60, 0, "EUR", "UK"), "EUR")
        assert (await charges.rate(session, "+442079460123")).charge(60) == 90
        assert (await charges.rate(session, TEST_PHONE)).charge(60) == 0


async def test_with_a_carrier_there_is_no_free_rate(
    make_settings: SettingsFactory, db: Database, tmp_path: Path
) -> None:
    async with db.session() as session:
        with pytest.raises(ServiceUnavailable, match="no rate table"):
            await CallCharges(make_settings(telephony=A_TRUNK), FakeClock()).rates(session)
        table = tmp_path / "rates.csv"
        table.write_text(RATES)
        settings = make_settings(telephony=A_TRUNK, billing={"rates_file": table})
        assert (await CallCharges(settings, FakeClock()).rate(session, TEST_PHONE)).charge(60) == 70
