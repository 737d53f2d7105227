"""Restriction and objection are enforced where the processing happens, through the one check
(``privacy.processing``): the real campaign dialler does not call a restricted contact, nor one
who objected (direct marketing); an objection stops an evaluation of the number (legitimate
interests); and a restricted caller's words go to no hosted model. The requests are made through
the privacy core, as a verified request makes them, and, for an account, through its page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from ringfence.clock import SystemClock
from ringfence.errors import Forbidden
from ringfence.privacy import policy
from ringfence.privacy.core import Privacy
from ringfence.privacy.processing import OBJECTED, RESTRICTED
from ringfence.privacy.subjects import phone_ref
from ringfence.services.agents.calls.outbound import Dial, DialResult
from ringfence.services.agents.calls.wiring import conversation_for, models_for
from ringfence.services.agents.campaigns.dialler import Dialler
from ringfence.services.agents.evaluations.service import Evaluations
from ringfence.services.agents.models import CampaignCall
from ringfence.services.agents.testing import CONSENTED, RATES, fund, open_shop, verify_number
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session
from tests.conftest import ENGINES, SettingsFactory

pytestmark = pytest.mark.integration

RESTRICTS = "+12125550111"
OBJECTS = "+12125550112"
FREE = "+12125550113"


async def _ask(settings: Settings, db: Database, kind: str, e164: str) -> None:
    """A verified request about a number, answered by the privacy core."""
    privacy = Privacy(settings, db)
    async with db.session() as session:
        stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
        rights = privacy.rights(stamp.version)
        ref = phone_ref(e164, settings.signing_key())
        submitted = await rights.submit(session, kind, ref, verified_via="phone_call")
        await rights.fulfil(session, submitted.request.id)


class Phones:
    """The callees in place of SIP: records which numbers the dialler placed."""

    def __init__(self) -> None:
        self.called: list[str] = []

    async def __call__(
        self, dial: Dial, commit: Callable[[], Awaitable[bool]]
    ) -> DialResult | None:
        if not await commit():
            return None
        self.called.append(dial.e164)
        return DialResult("answered", 200)


@ENGINES
async def test_the_dialler_calls_nobody_who_restricted_or_objected(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    settings = make_settings(database_url=database_url, agents={"calling_hours": (0, 24)})
    rows = [(n, CONSENTED) for n in (RESTRICTS, OBJECTS, FREE)]
    shop = await open_shop(settings, db, SystemClock(), rows)
    await _ask(settings, db, "restrict", RESTRICTS)
    await _ask(settings, db, "object", OBJECTS)
    campaign = await shop.campaign()
    await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
    phones = Phones()
    worker = Database(database_url)
    dialler = Dialler(settings, worker, Privacy(settings, worker), SystemClock(), phones)
    try:
        for _ in range(50):
            if await dialler.run(shop.tenant_id, campaign) is None:
                break
            await asyncio.sleep(0.1)
    finally:
        await worker.dispose()
    assert phones.called == [FREE]
    async with tenant_session(db, shop.tenant_id) as session:
        calls = {c.number_tail: c for c in (await session.scalars(select(CampaignCall))).all()}
    assert calls[RESTRICTS[-2:]].state == "refused"
    assert calls[RESTRICTS[-2:]].reason is not None and RESTRICTED in calls[RESTRICTS[-2:]].reason
    # A campaign call is direct marketing: an objection stops it whatever its legal basis.
    assert calls[OBJECTS[-2:]].state == "refused"
    assert calls[OBJECTS[-2:]].reason is not None and OBJECTED in calls[OBJECTS[-2:]].reason
    assert calls[FREE[-2:]].state == "done"


@ENGINES
async def test_an_objection_stops_the_evaluation_of_a_number(
    make_settings: SettingsFactory, database_url: str, db: Database, tmp_path: Path
) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    settings = make_settings(database_url=database_url, billing={"rates_file": str(rates)})
    shop = await open_shop(settings, db, SystemClock(), [])
    number = "+442079460123"
    await verify_number(settings, db, SystemClock(), shop.tenant_id, number)
    await fund(settings, db, SystemClock(), shop.owner.id, 5_000)
    queued: list[tuple[object, ...]] = []

    async def enqueue(*job: object, delay: float | None = None) -> str:
        queued.append(job)
        return "job"

    evaluations = Evaluations(Privacy(settings, db), enqueue)
    asked = await evaluations.request(shop.owner, shop.tenant_id, number, "Harbour", ["price"])
    assert asked["state"] == "queued"  # before: evaluated as usual
    await _ask(settings, db, "object", number)
    with pytest.raises(Forbidden, match="objected"):
        await evaluations.request(shop.owner, shop.tenant_id, number, "Harbour", ["price"])
    assert len(queued) == 1


@ENGINES
async def test_no_hosted_model_hears_a_restricted_caller(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    settings = make_settings(
        database_url=database_url,
        agents={"llm_url": "http://127.0.0.1:9/v1", "llm_model": "any"},
    )
    shop = await open_shop(settings, db, SystemClock(), [])
    key = settings.signing_key()
    async with db.session() as session:
        tenant = await session.get(Tenant, shop.tenant_id)
    assert tenant is not None
    assert await models_for(db, key, FREE) is True
    hosted = await conversation_for(db, settings, tenant, shop.agent_id, hosted=True)
    assert hosted is not None and hosted.model is not None
    await _ask(settings, db, "restrict", RESTRICTS)
    assert await models_for(db, key, RESTRICTS) is False
    assert await models_for(db, key, FREE) is True
    offline = await conversation_for(db, settings, tenant, shop.agent_id, hosted=False)
    assert offline is not None and offline.model is None
