"""Fault: the worker process holding every dialling job of a campaign is killed (``kill -9``).
Two ``ringfence worker`` processes share the embedded queue and the database; SIPp answers as
the contacts. The first worker takes both slices of the campaign, the second starts once it
has, idle; then the first is killed mid-call. Dialling resumes on the survivor within 30 s (a
lease, 10 s, and a watch every 2 s: about 12 s), nobody is dialled twice, the killed worker's
calls keep their records (interrupted, never repeated) and everyone else is dialled once.

Issue 23: the campaign stalled about 105 s here, until the once-a-minute watch found it idle
for two leases of 30 s."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
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

NUMBERS = [f"+1212555{300 + i:04d}" for i in range(30)]
STALL_LIMIT = 30.0
STARTED = "Huey consumer started"


@contextmanager
def worker(
    settings: Settings, carrier_port: int, log: Path, threads: int
) -> Iterator[subprocess.Popen[bytes]]:
    """``ringfence worker`` on this checkout, the test's database and queue."""
    low, high = free_rtp_range()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
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
        "RINGFENCE_AGENTS__TTS": "espeak",
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ringfence", "worker", "--workers", str(threads)],
            env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.terminate()
            proc.wait(timeout=60)


async def _attempts(db: Database, tenant_id: str) -> list[CampaignAttempt]:
    async with tenant_session(db, tenant_id) as session:
        return list((await session.scalars(select(CampaignAttempt))).all())


def _utc(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


async def _until(
    check: Callable[[], Awaitable[bool]], what: str, log: Path, tries: int = 480
) -> None:
    """Processes and a database between them: no event reaches this test, so it looks."""
    for _ in range(tries):
        if await check():
            return
        await asyncio.sleep(0.25)
    text = await asyncio.to_thread(log.read_text, errors="replace")
    raise AssertionError(f"{what}\n{text[-3000:]}")


async def test_dialling_resumes_within_seconds_of_the_death_of_its_only_worker(
    make_settings: SettingsFactory, database_url: str, db: Database, tmp_path: Path
) -> None:
    carrier = free_port()
    settings = make_settings(database_url=database_url, agents={"calling_hours": (0, 24)})
    assert settings.agents.campaign_lease_seconds == 10  # the default under test
    # Every contact answers, says nothing, and hangs up after 3 s.
    sipp = await start_sipp("uas_echo_hangup", port=carrier, fill={"talk_ms": "3000"},
                            calls=len(NUMBERS), limit="300s")  # fmt: skip
    shop = await open_shop(settings, db, SystemClock(), [(n, CONSENTED) for n in NUMBERS])
    campaigns = Campaigns(settings, db, Privacy(settings, db), SystemClock(),
                          JobQueue(settings).enqueue)  # fmt: skip
    campaign = await shop.campaign(max_concurrent=4, calls_per_second=4)
    doomed_log, survivor_log = tmp_path / "doomed.log", tmp_path / "survivor.log"
    try:
        with worker(settings, carrier, doomed_log, threads=2) as doomed:
            await campaigns.start(shop.owner, shop.tenant_id, campaign)

            async def both_slices_dial() -> bool:
                attempts = await _attempts(db, shop.tenant_id)
                mine = {a.worker for a in attempts if f":{doomed.pid}:" in a.worker}
                return len(mine) == 2 and any(a.ended_at is None for a in attempts)

            await _until(both_slices_dial, "the doomed worker never ran both slices", doomed_log)
            with worker(settings, carrier, survivor_log, threads=2) as survivor:

                async def survivor_ready() -> bool:
                    text = await asyncio.to_thread(survivor_log.read_text, errors="replace")
                    return STARTED in text

                await _until(survivor_ready, "the survivor never started", survivor_log)

                async def mid_call() -> bool:
                    attempts = await _attempts(db, shop.tenant_id)
                    return any(
                        f":{doomed.pid}:" in a.worker and a.ended_at is None for a in attempts
                    )

                await _until(mid_call, "the doomed worker dialled nothing more", doomed_log)
                killed_at = dt.datetime.now(dt.UTC)
                doomed.send_signal(signal.SIGKILL)
                doomed.wait()

                async def survivor_dials() -> bool:
                    attempts = await _attempts(db, shop.tenant_id)
                    return any(f":{survivor.pid}:" in a.worker for a in attempts)

                await _until(survivor_dials, "dialling never resumed", survivor_log)
                resumed = min(
                    _utc(a.started_at)
                    for a in await _attempts(db, shop.tenant_id)
                    if f":{survivor.pid}:" in a.worker
                )

                async def done() -> bool:
                    progress = await campaigns.progress_of(shop.tenant_id, campaign)
                    return bool(progress["campaign"]["state"] == "done")

                await _until(done, "the campaign did not end", survivor_log)
                assert survivor.poll() is None
    finally:
        await sipp.kill()  # the killed worker's calls never got their BYEs answered
    stall = (resumed - killed_at).total_seconds()
    assert 0 < stall < STALL_LIMIT, stall
    attempts = await _attempts(db, shop.tenant_id)
    async with tenant_session(db, shop.tenant_id) as session:
        calls = {c.id: c for c in (await session.scalars(select(CampaignCall))).all()}
    interrupted = [a for a in attempts if a.outcome == "interrupted"]
    assert interrupted and all(f":{doomed.pid}:" in a.worker for a in interrupted)
    assert {calls[a.campaign_call_id].state for a in interrupted} == {"interrupted"}
    others = [c for c in calls.values() if c.state != "interrupted"]
    assert {(c.state, c.outcome, c.attempts) for c in others} == {("done", "answered", 1)}
    dialled = dials_per_number(sipp)
    assert max(dialled.values()) == 1  # nobody twice
    cut = {calls[a.campaign_call_id].number_tail for a in interrupted}
    assert {n for n in NUMBERS if n[-2:] not in cut} <= set(dialled)  # everyone else once
