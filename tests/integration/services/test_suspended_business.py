"""A business the operator suspends stops dialling: its campaign's workers claim no call while
it is suspended (and the outbound gate would refuse one), and carry on once it is reinstated."""

from __future__ import annotations

import pytest

from ringfence.clock import SystemClock
from ringfence.services.agents.testing import CONSENTED, open_shop
from ringfence.store import Database
from ringfence.tenants.service import Tenants
from tests.conftest import ENGINES, SettingsFactory
from tests.integration.services.test_dialler import (
    ALL_DAY,
    Callees,
    _dialler,
    _numbers,
    _until_done,
)

pytestmark = pytest.mark.integration


@ENGINES
async def test_a_suspended_business_dials_nobody_until_reinstated(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    settings = make_settings(database_url=database_url, agents=ALL_DAY)
    numbers = _numbers(3)
    shop = await open_shop(settings, db, SystemClock(), [(n, CONSENTED) for n in numbers])
    campaign = await shop.campaign(max_concurrent=3, calls_per_second=20)
    await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    tenants = Tenants(db, SystemClock())
    await tenants.set_suspended(shop.tenant_id, True, shop.owner)
    callees = Callees()
    worker = await _dialler(settings, database_url, callees, "w0")
    try:
        assert await worker.run(shop.tenant_id, campaign) is None  # nothing more to do now
        assert callees.placed == []
        progress = await shop.campaigns.progress_of(shop.tenant_id, campaign)
        assert progress["campaign"]["state"] == "running" and progress["dialled"] == 0

        await tenants.set_suspended(shop.tenant_id, False, shop.owner)
        await _until_done(worker, shop, campaign)
    finally:
        await worker.db.dispose()
    assert sorted(n for n, _ in callees.placed) == numbers
