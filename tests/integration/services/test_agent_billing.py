"""Agent minutes are paid from the business's credit through the ledger dial uses: SIPp calls
the receptionist's number, priced by the operator's rate for it. Out of credit, the call is
declined politely (the caller hears why) and nothing is charged; with credit, the balance caps
the call's length and the exact charge is settled when it ends."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from ringfence.billing.ledger import Ledger, business, hold, wallet
from ringfence.billing.prices import Prices
from ringfence.billing.rates import Rate
from ringfence.billing.usage import AGENT_MINUTE, UsagePrices
from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.privacy.core import Privacy
from ringfence.services.agents.calls.receptionist import Receptionist
from ringfence.services.agents.campaigns.service import Campaigns
from ringfence.services.agents.models import Agent, AgentCall, AgentNumber, CampaignCall
from ringfence.services.agents.testing import CONSENTED, open_shop, verify_number
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.telephony import TelephonyEngine
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session
from tests.conftest import SettingsFactory
from tests.support.rtp import ear_port, open_ear, transcribe_heard
from tests.support.server import free_port
from tests.support.sipp import dials_per_number, free_rtp_range, sipp_peer, start_sipp

pytestmark = pytest.mark.integration
NUMBER = "+442071838750"
# 60 cents a minute by the second, 10 on answer: 25 cents pay for 15 seconds.
RATE = Rate("44", 60, 1, 1, 10, "EUR", "United Kingdom")


@dataclass
class Shop:
    settings: Settings
    engine: TelephonyEngine
    db: Database
    tenant_id: str


@pytest.fixture
async def shop(make_settings: SettingsFactory, database_url: str) -> AsyncIterator[Shop]:
    low, high = free_rtp_range()
    settings = make_settings(
        database_url=database_url,
        billing={"currency": "EUR"},
        telephony={
            "enabled": True,
            "sip_host": "127.0.0.1",
            "sip_port": free_port(),
            "rtp_port_min": low,
            "rtp_port_max": high,
            "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": free_port()}],
        },  # fmt: skip
        agents={"no_input_seconds": 60},
    )
    db = Database(database_url)
    clock = SystemClock()
    privacy = Privacy(settings, db, clock)
    engine = TelephonyEngine(settings, privacy=privacy)
    await engine.start()
    now = clock.now()
    async with db.session() as session:
        tenant = Tenant(name="Cutting Edge", created_at=now)
        session.add(tenant)
        await Prices(clock).set(session, RATE, "EUR")  # as the operator sets it in the console
    async with tenant_session(db, tenant.id) as session:
        agent = Agent(name="Reception", greeting="How can I help?", created_at=now,
                      updated_at=now, disclosure="You are speaking with an automated "
                      "assistant for Cutting Edge.", phone_number=NUMBER)  # fmt: skip
        session.add(agent)
    async with db.session() as session:
        session.add(AgentNumber(number=NUMBER, tenant_id=tenant.id, agent_id=agent.id))
    await verify_number(settings, db, clock, tenant.id, NUMBER)
    await Receptionist(settings, db, privacy, engine, clock).start()
    try:
        yield Shop(settings, engine, db, tenant.id)
    finally:
        await engine.stop()
        await db.dispose()


async def _call(shop: Shop) -> str:
    """SIPp calls the number and waits for the agent to hang up; what the caller heard."""
    ear = await open_ear()
    fill = {"ear_port": str(ear_port(ear)), "hold_ms": "90000"}
    try:
        async with sipp_peer(
            "uac_talk", remote=f"127.0.0.1:{shop.engine.local_port}", fill=fill,
            extra=["-s", NUMBER], limit="120s",
        ):  # fmt: skip
            pass
    finally:
        await shop.engine.idle()
        assert ear.transport is not None
        ear.transport.close()
    return await transcribe_heard(ear)


async def _books(shop: Shop) -> tuple[int, int, int]:
    ledger = Ledger(SystemClock())
    account = business(shop.tenant_id)
    async with shop.db.session() as session:
        return (
            await ledger.balance(session, wallet(account), "EUR"),
            await ledger.balance(session, hold(account), "EUR"),
            await ledger.balance(session, "revenue", "EUR"),
        )


async def test_a_business_out_of_credit_is_declined_politely(shop: Shop) -> None:
    heard = await _call(shop)
    assert "try again later" in heard, heard  # transcribed, lower case
    assert await _books(shop) == (0, 0, 0)
    async with tenant_session(shop.db, shop.tenant_id) as session:
        assert (await session.scalars(select(AgentCall))).all() == []  # nothing kept


async def test_agent_minutes_are_charged_to_the_business_and_capped_by_its_credit(
    shop: Shop,
) -> None:
    async with shop.db.session() as session:
        await Ledger(SystemClock()).adjust(
            session, "grant", business(shop.tenant_id), 25, "EUR",
            reason="trial credit", reference="test-grant",
        )  # fmt: skip
    await _call(shop)  # the agent hangs up when the credit's 15 seconds are over
    async with tenant_session(shop.db, shop.tenant_id) as session:
        (call,) = (await session.scalars(select(AgentCall))).all()
    assert 14 <= call.duration <= 40, call.duration  # from the INVITE: answering takes a while
    left, held, revenue = await _books(shop)
    assert held == 0 and left + revenue == 25
    assert revenue >= RATE.charge(14) and left >= 0


async def test_the_agent_minute_price_is_charged_where_no_rate_prices_the_line(
    shop: Shop,
) -> None:
    clock = SystemClock()
    async with shop.db.session() as session:
        await Prices(clock).remove(session, RATE.prefix)  # the line itself costs nothing now
        await UsagePrices(clock).set(session, AGENT_MINUTE, 60)  # as the console's Rates sets
        await Ledger(clock).adjust(
            session, "grant", business(shop.tenant_id), 25, "EUR",
            reason="trial credit", reference="test-grant",
        )  # fmt: skip
    await _call(shop)  # 60 cents a minute, by the second: 25 cents are 25 seconds
    left, held, revenue = await _books(shop)
    assert held == 0 and left + revenue == 25 and revenue >= 14, (left, held, revenue)


async def test_a_business_past_its_monthly_minutes_is_declined(shop: Shop) -> None:
    async with shop.db.session() as session:
        await Ledger(SystemClock()).adjust(
            session, "grant", business(shop.tenant_id), 500, "EUR",
            reason="credit", reference="test-grant",
        )  # fmt: skip
        tenant = await session.get(Tenant, shop.tenant_id)
        assert tenant is not None
        tenant.minutes_per_month = 0  # as the console's Businesses sets it
    heard = await _call(shop)
    assert "month" in heard, heard
    assert await _books(shop) == (500, 0, 0)  # nothing charged
    async with tenant_session(shop.db, shop.tenant_id) as session:
        assert (await session.scalars(select(AgentCall))).all() == []


async def test_a_campaign_pauses_when_the_business_credit_runs_out_and_resumes_on_a_grant(
    make_settings: SettingsFactory, database_url: str
) -> None:
    low, high = free_rtp_range()
    port = free_port()
    settings = make_settings(
        database_url=database_url,
        billing={"currency": "EUR"},
        telephony={"enabled": True, "sip_host": "127.0.0.1", "rtp_port_min": low,
                   "rtp_port_max": high,
                   "carriers": [{"name": "tripwire", "host": "127.0.0.1", "port": port}]},
        agents={"calling_hours": (0, 24)},
    )  # fmt: skip
    db = Database(database_url)
    clock = SystemClock()
    tripwire = await start_sipp("uas_reject", port=port, fill={"status": "603"}, limit="150s")
    queue = JobQueue(settings)
    try:
        async with db.session() as session:  # North America priced by the operator
            await Prices(clock).set(session, Rate("1", 6, 60, 60, 0, "EUR", "NA"), "EUR")
        shop = await open_shop(settings, db, clock, [("+12125550100", CONSENTED)])
        queue.start(workers=1)
        campaigns = Campaigns(settings, db, Privacy(settings, db), clock, queue.enqueue)
        made = await campaigns.create(
            shop.owner, shop.tenant_id,
            shop.spec(ends_at=clock.now() + dt.timedelta(minutes=10), ring_seconds=3),
        )  # fmt: skip
        await campaigns.start(shop.owner, shop.tenant_id, made["id"])
        for _ in range(240):  # the jobs run on the queue's threads: this loop looks
            progress = await campaigns.progress_of(shop.tenant_id, made["id"])
            if progress["campaign"]["state"] == "paused":
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"the campaign did not pause: {progress}")
        assert "credit ran out" in progress["campaign"]["pause_reason"]
        assert dials_per_number(tripwire) == Counter()  # nothing was dialled
        async with tenant_session(db, shop.tenant_id) as session:
            (row,) = (await session.scalars(select(CampaignCall))).all()
        assert row.state in ("pending", "retry") and row.attempts == 0  # kept for later

        # The operator grants credit: the campaign goes on by itself and dials the number.
        async with db.session() as session:
            await Ledger(clock).adjust(
                session, "grant", business(shop.tenant_id), 100, "EUR",
                reason="top-up", reference="resume-grant",
            )  # fmt: skip
        for _ in range(240):
            async with tenant_session(db, shop.tenant_id) as session:
                (row,) = (await session.scalars(select(CampaignCall))).all()
            if row.attempts:
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError("the campaign did not resume after the grant")
        progress = await campaigns.progress_of(shop.tenant_id, made["id"])
        assert progress["campaign"]["pause_reason"] is None
    finally:
        await asyncio.to_thread(queue.stop)
        await tripwire.kill()
    assert dials_per_number(tripwire) == Counter({"+12125550100": 1})  # refused 603: not again
    await db.dispose()
