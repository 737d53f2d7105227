"""Fault: the call fails on our side after the callee picked up. A campaign runs on the job
queue's worker threads with the real telephony engine; SIPp answers as the contacts, one
carrier whose 200 OK names a host in its SDP (our side cannot send media to it: the callee hears
nothing and gets our BYE) and one busy line beside it. The answered contacts are recorded
``failed_after_answer`` and never dialled again, while the busy one is retried as the campaign
says, in the same seconds: at most one answered call per contact per campaign attempt (issue
23: such a call was put back as a retry due 30 minutes later)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select

from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.privacy.core import Privacy
from ringfence.services.agents.campaigns.decisions import FAILED_AFTER_ANSWER, NOT_AGAIN
from ringfence.services.agents.campaigns.service import Campaigns
from ringfence.services.agents.models import AgentCall, CampaignAttempt, CampaignCall
from ringfence.services.agents.testing import CONSENTED, open_shop
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session
from tests.conftest import SettingsFactory
from tests.support.server import free_port
from tests.support.sipp import dials_per_number, free_rtp_range, start_sipp

pytestmark = pytest.mark.integration

ANSWERED = ["+12125550100", "+12125550101", "+12125550102"]
BUSY = "+12125550190"
ATTEMPTS = 3


async def test_a_call_that_failed_after_the_answer_is_not_dialled_again(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    low, high = free_rtp_range()
    ports = {"answers": free_port(), "busy": free_port()}
    settings = make_settings(
        database_url=database_url,
        telephony={"sip_host": "127.0.0.1", "rtp_port_min": low, "rtp_port_max": high,
                   "carriers": [{"name": "answers", "host": "127.0.0.1", "port": ports["answers"],
                                 "prefixes": ["121255501"]},
                                {"name": "busy", "host": "127.0.0.1", "port": ports["busy"],
                                 "prefixes": ["1212555019"]}]},
        agents={"calling_hours": (0, 24)},
    )  # fmt: skip
    # One SIPp answers every dial it gets (more than the contacts: a second dial would be
    # answered too, and counted); the other is busy for every attempt.
    answers = await start_sipp(
        "uas_bad_answer",
        port=ports["answers"],
        calls=3 * len(ANSWERED),
        fill={"connection": "c=IN IP4 rtp.example.net"},
        limit="120s",
    )
    busy = await start_sipp("uas_reject", port=ports["busy"], fill={"status": "486"},
                            calls=ATTEMPTS, limit="120s")  # fmt: skip
    shop = await open_shop(settings, db, SystemClock(),
                           [(n, CONSENTED) for n in [*ANSWERED, BUSY]])  # fmt: skip
    queue = JobQueue(settings)
    queue.start(workers=2)
    try:
        campaigns = Campaigns(settings, db, Privacy(settings, db), SystemClock(), queue.enqueue)
        campaign = await shop.campaign(max_concurrent=4, calls_per_second=5,
                                       max_attempts=ATTEMPTS, retry_seconds=1,
                                       retry_backoff=1)  # fmt: skip
        await campaigns.start(shop.owner, shop.tenant_id, campaign)
        # The jobs run on the queue's threads: no event crosses to this loop, so it looks.
        for _ in range(240):
            progress = await campaigns.progress_of(shop.tenant_id, campaign)
            if progress["campaign"]["state"] == "done":
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"the campaign did not end: {progress}")
        rc, screen = await busy.finish()  # every attempt was made: the retries did run
        assert rc == 0, screen
    finally:
        await asyncio.to_thread(queue.stop)
        await answers.kill()
        await busy.kill()
    assert dials_per_number(answers) == Counter(dict.fromkeys(ANSWERED, 1))
    assert dials_per_number(busy) == Counter({BUSY: ATTEMPTS})
    async with tenant_session(db, shop.tenant_id) as session:
        rows = {r.number_tail: r for r in (await session.scalars(select(CampaignCall))).all()}
        attempts = (await session.scalars(select(CampaignAttempt))).all()
        records = (await session.scalars(select(AgentCall))).all()
    for number in ANSWERED:
        row = rows[number[-2:]]
        assert (row.state, row.outcome, row.attempts, row.reason) == (
            "done",
            FAILED_AFTER_ANSWER,
            1,
            NOT_AGAIN,
        )
    assert (rows[BUSY[-2:]].state, rows[BUSY[-2:]].attempts) == ("done", ATTEMPTS)
    outcomes = Counter(a.outcome for a in attempts)
    assert outcomes == Counter({FAILED_AFTER_ANSWER: len(ANSWERED), "busy": ATTEMPTS})
    assert records == []  # no media, so no conversation: nothing to keep but the attempt
    assert progress["answered"] == len(ANSWERED)
