"""A call-back asked for on a real campaign call: SIPp answers as the contact, who says (in
espeak-ng's voice) "Call me back tomorrow at 3 pm."; the agent confirms the time back,
the campaign stores it for that contact and dials them again then, not before. Time is moved
with the clock the dialler and the agent read, never waited for."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import Counter

import pytest
from sqlalchemy import select

from ringfence.media.speech import speak
from ringfence.privacy.core import Privacy
from ringfence.services.agents.calls.outbound import OutboundCaller
from ringfence.services.agents.campaigns.dialler import Dialler
from ringfence.services.agents.models import AgentCall, CampaignAttempt, CampaignCall
from ringfence.services.agents.testing import CONSENTED, open_shop
from ringfence.store import Database
from ringfence.telephony import TelephonyEngine
from ringfence.tenants.scoping import tenant_session
from ringfence.testing.clock import MovedClock
from tests.conftest import ENGINES, SettingsFactory
from tests.support.rtp import Ear, ear_port, open_ear, transcribe_heard
from tests.support.server import free_port
from tests.support.sipp import dials_per_number, free_rtp_range, start_sipp

pytestmark = [pytest.mark.integration, ENGINES]

CONTACT = "+12125550100"  # New York
STARTS = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)  # Tuesday, 10 am in New York
PROMISED = dt.datetime(2026, 12, 2, 20, 0, tzinfo=dt.UTC)  # tomorrow at 3 pm in New York


async def _asks_for_a_call_back(ear: Ear) -> int:
    """Waits for the agent's opening to end, asks to be called back; the frame after it."""
    await ear.until(lambda: ear.peer is not None and ear.spoke_then_paused(1.0), 120)
    await ear.say(await speak("Call me back tomorrow at 3 pm."))
    return len(ear.frames)


async def _rows(db: Database, tenant_id: str) -> tuple[CampaignCall, list[CampaignAttempt]]:
    async with tenant_session(db, tenant_id) as session:
        row = (await session.scalars(select(CampaignCall))).one()
        attempts = (await session.scalars(select(CampaignAttempt))).all()
    return row, list(attempts)


async def test_the_contact_is_called_back_at_the_time_they_asked(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    low, high = free_rtp_range()
    port = free_port()
    settings = make_settings(
        database_url=database_url,
        telephony={"enabled": True, "sip_host": "127.0.0.1", "rtp_port_min": low,
                   "rtp_port_max": high,
                   "carriers": [{"name": "c", "host": "127.0.0.1", "port": port}]},
        agents={"no_input_seconds": 2},  # the default calling hours: 8:00 to 21:00
    )  # fmt: skip
    clock = MovedClock(STARTS)
    ear = await open_ear()
    sipp = await start_sipp("uas_answer_ear", port=port, fill={"ear_port": str(ear_port(ear))},
                            calls=2, limit="300s")  # fmt: skip
    privacy = Privacy(settings, db, clock)
    engine = TelephonyEngine(settings, privacy=privacy, port=0, outbound_only=True)
    await engine.start()
    try:
        shop = await open_shop(settings, db, clock, [(CONTACT, CONSENTED)])
        campaign = await shop.campaign(ends_at=STARTS + dt.timedelta(days=5), max_attempts=1,
                                       ring_seconds=10)  # fmt: skip
        await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
        caller = OutboundCaller(settings, db, privacy, engine, clock)
        dialler = Dialler(settings, db, privacy, clock, caller.call, worker="w")

        contact = asyncio.ensure_future(_asks_for_a_call_back(ear))
        later = await dialler.run(shop.tenant_id, campaign)
        asked = await contact
        row, attempts = await _rows(db, shop.tenant_id)
        assert (row.state, row.outcome, row.attempts) == ("retry", "call_back", 1)
        assert row.call_back_at == PROMISED and row.next_at == PROMISED
        assert later is not None
        assert later == pytest.approx((PROMISED - clock.now()).total_seconds(), abs=120)
        said = await transcribe_heard(ear, after=asked)
        assert re.search(r"call you back tomorrow at (3|three)", said), said

        clock.set(PROMISED - dt.timedelta(hours=1))  # not yet: nobody is dialled
        early = await dialler.run(shop.tenant_id, campaign)
        assert early == pytest.approx(3600, abs=60)
        assert (await _rows(db, shop.tenant_id))[0].attempts == 1

        clock.set(PROMISED)  # the time asked: dialled again (it says nothing, so it ends)
        second = len(ear.frames)
        assert await dialler.run(shop.tenant_id, campaign) is None
        assert ear.speaking(second, frames=25)  # the agent spoke on the second call
        rc, screen = await sipp.finish()
        assert rc == 0, screen
    finally:
        await engine.stop()
        await sipp.kill()
        assert ear.transport is not None
        ear.transport.close()
    assert dials_per_number(sipp) == Counter({CONTACT: 2})
    row, attempts = await _rows(db, shop.tenant_id)
    assert (row.state, row.outcome, row.attempts, row.call_back_at) == (
        "done", "answered", 2, None
    )  # fmt: skip
    assert [a.started_at >= PROMISED for a in sorted(attempts, key=lambda a: a.number)] == [
        False, True
    ]  # fmt: skip
    async with tenant_session(db, shop.tenant_id) as session:
        outcomes = sorted((await session.scalars(select(AgentCall.outcome))).all())
    assert outcomes == ["answered", "call_back"]
