"""Fault experiments on campaign calls (issue 23, items 1-3): RTP ports taken from under the
calls, calls that fail after the answer, and the worker holding every dialling job killed.

Method.

1. Ports. Two telephony engines in this process, each on a thread and event loop of its own
   (as two dialling jobs of one worker), place ``PORT_ROUNDS`` rounds of ``PORT_AT_ONCE`` calls
   at once each to SIPp (which answers), over one range of ``PORT_PAIRS`` RTP pairs. Other
   programs hold one port of every 4th pair (plain sockets), and a prober thread takes every
   port of the range the moment it sees it go free and holds it 50 ms (another process's
   allocator). ``port_conflicts``: calls answered and then failed on our side
   (``media_failed``, "Address already in use"); ``port_calls_failed``: every call that did not
   complete; ``ports_left_held``: ports the allocator still holds once the calls have ended.
2. Failed after answer. A campaign on the job queue's worker threads (this process, embedded
   queue, SQLite) dials ``ANSWERING`` contacts whose 200 OK names a host in its SDP (we cannot
   send media: they hear nothing and get our BYE) and one busy contact, with 3 attempts 1 s
   apart. ``failed_after_answer``: attempts recorded so; ``answered_redialled``: contacts who
   picked up and were dialled again (SIPp's INVITEs by Call-ID); ``busy_attempts``: the busy
   contact's dials (the retries did run meanwhile).
3. Worker death. Two ``ringfence worker`` processes (2 threads each) share the embedded queue
   and a SQLite database; SIPp answers ``DEATH_CONTACTS`` contacts and hangs up after 3 s. The
   first worker takes both slices of the campaign (4 calls at once, 4 per second); the second
   starts, idle; the first is killed with SIGKILL mid-call. ``stall_seconds``: from the kill to
   the first dial by the survivor (its attempt record, committed just before the INVITE);
   ``called_twice``: numbers SIPp got more than one INVITE for; ``interrupted``: the killed
   worker's calls in progress (kept, never repeated); ``lost``: contacts neither dialled nor
   kept as interrupted when the campaign ended.

Measured here (2 cores shared with other work at a load of 15, 2026-12-02, lease 10 s, watch
every 2 s; three runs):

    port_calls 200  port_conflicts 0  port_calls_failed 0  ports_left_held 0
    failed_after_answer 3  answered_redialled 0  busy_attempts 3
    stall_seconds 15.0, 14.2, 13.7  called_twice 0  lost 0  interrupted 4  contacts 30

The stall is the lease (10 s) plus up to one watch interval (2 s) plus the survivor's first
dial: its thread starts a telephony engine and loads the agent's models before dialling.

(Before issue 23's fixes, in the same tests (tests/faults/test_campaign_*.py): 9 of 60 port
calls failed after the answer, each answered contact was dialled 3 times; the campaign stalled
about 105 s, as the issue measured.)

Run: ``.venv/bin/python bench/faults_campaigns.py`` (``bench/faults.py`` runs it with the
other fault experiments).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.logging import configure_logging
from ringfence.services.agents.campaigns.decisions import FAILED_AFTER_ANSWER
from ringfence.services.agents.models import CampaignAttempt, CampaignCall
from ringfence.services.agents.testing import CONSENTED, open_shop
from ringfence.settings import LogSettings, Settings
from ringfence.store import Database, migrate
from ringfence.telephony import TelephonyEngine
from ringfence.telephony._sip.ports import shared
from ringfence.tenants.scoping import tenant_session
from ringfence.testing.port_contention import free_range, outsiders, probing

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "tests" / "data" / "sipp"
SIPP = "/usr/bin/sipp"
PORT_ROUNDS, PORT_AT_ONCE, PORT_PAIRS = 10, 10, 64
ANSWERING = 3
DEATH_CONTACTS = 30
Figures = dict[str, float | int | str]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _sipp(folder: Path, scenario: str, port: int, calls: int, **fill: str) -> Any:
    """SIPp on ``port`` with a scenario of tests/data/sipp (or a built-in one); its message
    log is ``folder/<port>.log``."""
    args = [SIPP, "-i", "127.0.0.1", "-p", str(port), "-mp", str(_free_port()),
            "-m", str(calls), "-nostdin", "-timeout", "300s", "-max_retrans", "3",
            "-trace_msg", "-message_file", str(folder / f"{port}.log")]  # fmt: skip
    if scenario == "uas":
        args += ["-sn", "uas"]
    else:
        text = (SCENARIOS / f"{scenario}.xml").read_text()
        for name, value in fill.items():
            text = text.replace("{" + name + "}", value)
        (folder / f"{port}.xml").write_text(text)
        args += ["-sf", str(folder / f"{port}.xml")]
    return await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )


async def _stop(process: Any) -> None:
    if process.returncode is None:
        process.kill()
    await process.wait()


def _dials(folder: Path, port: int) -> Counter[str]:
    """Distinct INVITEs (by Call-ID) SIPp received, per number."""
    path = folder / f"{port}.log"
    text = path.read_text(errors="replace") if path.exists() else ""
    seen: dict[str, str] = {}
    for block in re.split(r"\n-{10,}", text):
        request = re.search(r"^\s*INVITE sip:\+?(\d+)@", block, re.M)
        call_id = re.search(r"^\s*Call-ID:\s*(\S+)", block, re.M | re.I)
        if request and call_id:
            seen[call_id.group(1)] = "+" + request.group(1)
    return Counter(seen.values())


# -- 1. ports -----------------------------------------------------------------------------------


def _engine_calls(settings: Settings) -> Counter[str]:
    async def run() -> Counter[str]:
        engine = TelephonyEngine(settings, port=0, outbound_only=True)
        await engine.start()
        ends: Counter[str] = Counter()

        async def one() -> None:
            try:
                call = await engine._place_call("+12125550100")
            except Exception as exc:
                ends[type(exc).__name__] += 1
                return
            if await call.wait_answered():
                await call.hangup()
            await call.wait_ended()
            ends[call.end_reason.value if call.end_reason else "none"] += 1

        try:
            for _ in range(PORT_ROUNDS):
                await asyncio.gather(*(one() for _ in range(PORT_AT_ONCE)))
        finally:
            await engine.stop()
        return ends

    return asyncio.run(run())


async def ports(folder: Path) -> Figures:
    calls = 2 * PORT_ROUNDS * PORT_AT_ONCE
    port = _free_port()
    callee = await _sipp(folder, "uas", port, calls)
    low = free_range(PORT_PAIRS)
    high = low + 2 * PORT_PAIRS
    settings = Settings(
        data_dir=folder,
        telephony={"sip_host": "127.0.0.1", "rtp_port_min": low, "rtp_port_max": high,
                   "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": port}]},
    )  # type: ignore[arg-type]  # fmt: skip
    try:
        with outsiders(low, PORT_PAIRS), probing(low, high):
            ends = sum(
                await asyncio.gather(*(asyncio.to_thread(_engine_calls, settings) for _ in "ab")),
                Counter(),
            )
    finally:
        await _stop(callee)
    return {
        "port_calls": calls,
        "port_conflicts": ends["media_failed"],
        "port_calls_failed": calls - ends["completed"],
        "ports_left_held": shared(low, high).in_use,
    }


# -- 2. failed after answer -------------------------------------------------------------------


def _settings(folder: Path, url: str, **sections: Any) -> Settings:
    return Settings(
        data_dir=folder,
        database_url=url,
        jobs={"queue_name": f"rf-bench-{uuid.uuid4().hex[:8]}"},
        **sections,
    )


async def _wait_done(db: Database, shop: Any, campaign: str, limit: float) -> None:
    """The jobs run in other threads or processes: no event reaches here, so it looks."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        progress = await shop.campaigns.progress_of(shop.tenant_id, campaign)
        if progress["campaign"]["state"] == "done":
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"the campaign did not end in {limit:.0f} s")


async def failed_after_answer(folder: Path) -> Figures:
    url = f"sqlite+aiosqlite:///{folder / 'answered.db'}"
    await asyncio.to_thread(migrate, url)
    answering, busy = _free_port(), _free_port()
    numbers = [f"+1212555010{i}" for i in range(ANSWERING)]
    settings = _settings(
        folder / "answered", url,
        telephony={"sip_host": "127.0.0.1", "rtp_port_min": 31000, "rtp_port_max": 31998,
                   "carriers": [{"name": "a", "host": "127.0.0.1", "port": answering,
                                 "prefixes": ["121255501"]},
                                {"name": "b", "host": "127.0.0.1", "port": busy,
                                 "prefixes": ["1212555019"]}]},
        agents={"calling_hours": (0, 24), "tts": "espeak"},
    )  # fmt: skip
    sipps = [
        await _sipp(folder, "uas_bad_answer", answering, 3 * ANSWERING,
                    connection="c=IN IP4 rtp.example.net"),
        await _sipp(folder, "uas_reject", busy, 3, status="486"),
    ]  # fmt: skip
    db = Database(url)
    queue = JobQueue(settings)
    try:
        shop = await open_shop(settings, db, SystemClock(),
                               [(n, CONSENTED) for n in [*numbers, "+12125550190"]])  # fmt: skip
        shop.campaigns.enqueue = queue.enqueue
        queue.start(workers=2)
        campaign = await shop.campaign(max_concurrent=4, calls_per_second=5, max_attempts=3,
                                       retry_seconds=1, retry_backoff=1)  # fmt: skip
        await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
        await _wait_done(db, shop, campaign, 180)
        async with tenant_session(db, shop.tenant_id) as session:
            outcomes = Counter((await session.scalars(select(CampaignAttempt.outcome))).all())
    finally:
        await asyncio.to_thread(queue.stop)
        await db.dispose()
        for sipp in sipps:
            await _stop(sipp)
    dialled = _dials(folder, answering)
    return {
        "failed_after_answer": outcomes[FAILED_AFTER_ANSWER],
        "answered_redialled": sum(1 for n in numbers if dialled[n] > 1),
        "busy_attempts": _dials(folder, busy)["+12125550190"],
    }


# -- 3. worker death ----------------------------------------------------------------------------


def _worker(settings: Settings, carrier: int, log: Path, rtp: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        "RINGFENCE_DATA_DIR": str(settings.data_dir),
        "RINGFENCE_DATABASE_URL": settings.resolved_database_url,
        "RINGFENCE_JOBS__QUEUE_NAME": settings.jobs.queue_name,
        "RINGFENCE_TELEPHONY__SIP_HOST": "127.0.0.1",
        "RINGFENCE_TELEPHONY__RTP_PORT_MIN": str(rtp),
        "RINGFENCE_TELEPHONY__RTP_PORT_MAX": str(rtp + 198),
        "RINGFENCE_TELEPHONY__CARRIERS": json.dumps(
            [{"name": "sipp", "host": "127.0.0.1", "port": carrier}]
        ),
        "RINGFENCE_AGENTS__CALLING_HOURS": "[0, 24]",
        "RINGFENCE_AGENTS__TTS": "espeak",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ringfence", "worker", "--workers", "2"],
            env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


async def _attempts(db: Database, tenant_id: str) -> list[CampaignAttempt]:
    async with tenant_session(db, tenant_id) as session:
        return list((await session.scalars(select(CampaignAttempt))).all())


async def _until(check: Any, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        await asyncio.sleep(0.25)


def _utc(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


async def worker_death(folder: Path) -> Figures:
    url = f"sqlite+aiosqlite:///{folder / 'death.db'}"
    await asyncio.to_thread(migrate, url)
    carrier = _free_port()
    numbers = [f"+1212555{300 + i:04d}" for i in range(DEATH_CONTACTS)]
    settings = _settings(folder / "death", url, agents={"calling_hours": (0, 24)})
    sipp = await _sipp(folder, "uas_echo_hangup", carrier, len(numbers), talk_ms="3000")
    db = Database(url)
    doomed = survivor = None
    try:
        shop = await open_shop(settings, db, SystemClock(), [(n, CONSENTED) for n in numbers])
        shop.campaigns.enqueue = JobQueue(settings).enqueue
        campaign = await shop.campaign(max_concurrent=4, calls_per_second=4)
        doomed = _worker(settings, carrier, folder / "doomed.log", 32000)
        await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
        pid = f":{doomed.pid}:"

        async def both_slices() -> bool:
            attempts = await _attempts(db, shop.tenant_id)
            return len({a.worker for a in attempts if pid in a.worker}) == 2

        await _until(both_slices)
        survivor = _worker(settings, carrier, folder / "survivor.log", 32200)
        log = folder / "survivor.log"

        async def ready() -> bool:
            return "Huey consumer started" in await asyncio.to_thread(log.read_text)

        await _until(ready)

        async def mid_call() -> bool:
            attempts = await _attempts(db, shop.tenant_id)
            return any(pid in a.worker and a.ended_at is None for a in attempts)

        await _until(mid_call)
        killed_at = dt.datetime.now(dt.UTC)
        doomed.send_signal(signal.SIGKILL)
        await asyncio.to_thread(doomed.wait)
        other = f":{survivor.pid}:"

        async def resumed() -> bool:
            return any(other in a.worker for a in await _attempts(db, shop.tenant_id))

        await _until(resumed, 300)
        first = min(_utc(a.started_at) for a in await _attempts(db, shop.tenant_id)
                    if other in a.worker)  # fmt: skip
        await _wait_done(db, shop, campaign, 300)
        async with tenant_session(db, shop.tenant_id) as session:
            calls = (await session.scalars(select(CampaignCall))).all()
    finally:
        for proc in (doomed, survivor):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 60)
        await db.dispose()
        await _stop(sipp)
    dialled = _dials(folder, carrier)
    interrupted = {c.number_tail for c in calls if c.state == "interrupted"}
    return {
        "stall_seconds": round((first - killed_at).total_seconds(), 1),
        "called_twice": sum(1 for n in dialled.values() if n > 1),
        "interrupted": len(interrupted),
        "lost": sum(1 for n in numbers if n not in dialled and n[-2:] not in interrupted),
        "contacts": len(numbers),
    }


async def experiment() -> Figures:
    """Run the three experiments in a temporary folder; their figures in one dict."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures: Figures = {}
        figures |= await ports(folder)
        figures |= await failed_after_answer(folder)
        figures |= await worker_death(folder)
        return figures


if __name__ == "__main__":
    configure_logging(LogSettings(level="ERROR", format="console"))
    for name, value in asyncio.run(experiment()).items():
        print(f"{name:22} {value}")
