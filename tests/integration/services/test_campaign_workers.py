"""Kill a worker mid-campaign: two ``ringfence worker`` processes share a campaign over SIPp;
one is killed (SIGKILL) while its calls are up. Nobody is dialled twice: the killed worker's
calls keep their records, marked interrupted once its hold lapses, and are not repeated; what
it had not dialled yet, and the rest of the list, the other worker dials."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.privacy.core import Privacy
from ringfence.services.agents.campaigns.service import Campaigns
from ringfence.services.agents.models import CampaignAttempt, CampaignCall
from ringfence.services.agents.testing import CONSENTED, open_shop
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session
from tests.conftest import SettingsFactory
from tests.support.server import REPO, free_port
from tests.support.sipp import dials_per_number, free_rtp_range, start_sipp

pytestmark = pytest.mark.integration

NUMBERS = [f"+1212555{200 + i:04d}" for i in range(8)]
LEASE = 3


@contextmanager
def worker(settings: Settings, carrier_port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    low, high = free_rtp_range()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),  # this checkout first
        "RINGFENCE_DATA_DIR": str(settings.data_dir),
        "RINGFENCE_DATABASE_URL": settings.resolved_database_url,
        "RINGFENCE_JOBS__QUEUE_NAME": settings.jobs.queue_name,
        "RINGFENCE_TELEPHONY__SIP_HOST": "127.0.0.1",
        "RINGFENCE_TELEPHONY__RTP_PORT_MIN": str(low),
        "RINGFENCE_TELEPHONY__RTP_PORT_MAX": str(high),
        "RINGFENCE_TELEPHONY__CARRIERS": json.dumps(
            [{"name": "sipp", "host": "127.0.0.1", "port": carrier_port}]
        ),
        "RINGFENCE_AGENTS__CALLING_HOURS": "[0, 24]",
        "RINGFENCE_AGENTS__CAMPAIGN_LEASE_SECONDS": str(LEASE),
        "RINGFENCE_AGENTS__TTS": "espeak",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ringfence", "worker", "--workers", "1"],
            env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
            proc.wait(timeout=60)


async def _rows(db: Database, tenant_id: str) -> tuple[list[CampaignCall], list[CampaignAttempt]]:
    async with tenant_session(db, tenant_id) as session:
        calls = list((await session.scalars(select(CampaignCall))).all())
        attempts = list((await session.scalars(select(CampaignAttempt))).all())
    return calls, attempts


async def test_a_killed_workers_calls_are_kept_and_not_repeated(
    make_settings: SettingsFactory, database_url: str, db: Database, tmp_path: Path
) -> None:
    carrier = free_port()
    settings = make_settings(database_url=database_url, agents={"calling_hours": (0, 24)})
    # Every contact answers, says nothing, and hangs up after 8 s.
    sipp = await start_sipp("uas_echo_hangup", port=carrier, fill={"talk_ms": "8000"},
                            calls=len(NUMBERS), limit="150s")  # fmt: skip
    shop = await open_shop(settings, db, SystemClock(), [(n, CONSENTED) for n in NUMBERS])
    campaigns = Campaigns(settings, db, Privacy(settings, db), SystemClock(),
                          JobQueue(settings).enqueue)  # fmt: skip
    campaign = await shop.campaign(max_concurrent=4, calls_per_second=4)
    with (
        worker(settings, carrier, tmp_path / "doomed.log") as doomed,
        worker(settings, carrier, tmp_path / "survivor.log") as survivor,
    ):
        await campaigns.start(shop.owner, shop.tenant_id, campaign)
        # Processes and a database between them: no event reaches this test, so it looks.
        for _ in range(240):
            _, attempts = await _rows(db, shop.tenant_id)
            if any(f":{doomed.pid}:" in a.worker and a.ended_at is None for a in attempts):
                break
            await asyncio.sleep(0.25)
        else:
            raise AssertionError((tmp_path / "doomed.log").read_text()[-3000:])
        doomed.send_signal(signal.SIGKILL)  # mid-call
        doomed.wait()
        for _ in range(480):
            progress = await campaigns.progress_of(shop.tenant_id, campaign)
            if progress["campaign"]["state"] == "done":
                break
            await asyncio.sleep(0.25)
        else:
            raise AssertionError(f"{progress}\n{(tmp_path / 'survivor.log').read_text()[-3000:]}")
        assert survivor.poll() is None
    await sipp.kill()  # the killed worker's call never got its BYE answered
    calls, attempts = await _rows(db, shop.tenant_id)
    assert len(attempts) == len(NUMBERS)  # a record of every dial, the killed ones' too
    killed = [a for a in attempts if f":{doomed.pid}:" in a.worker]
    interrupted = [a for a in killed if a.outcome == "interrupted"]
    assert interrupted and all(a.ended_at is None for a in interrupted)
    by_id = {c.id: c for c in calls}
    assert {by_id[a.campaign_call_id].state for a in interrupted} == {"interrupted"}
    others = [c for c in calls if c.state != "interrupted"]
    assert {(c.state, c.outcome, c.attempts) for c in others} == {("done", "answered", 1)}
    assert any(f":{survivor.pid}:" in a.worker for a in attempts)
    # Nobody twice; everyone once, but for a killed call whose INVITE had not left yet (its
    # record is committed first, so it may have not): at most once, never at least once.
    dialled = dials_per_number(sipp)
    cut = {by_id[a.campaign_call_id].number_tail for a in interrupted}
    assert max(dialled.values()) == 1
    assert {n for n in NUMBERS if n[-2:] not in cut} <= set(dialled)
