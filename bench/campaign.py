"""Benchmark: the calls per second a campaign sustains with SIPp answering, and what the calling
rules cost per dial.

Method.

1. Rule check. A campaign of ``RULE_CONTACTS`` consented contacts on SQLite in a temporary
   directory (and on PostgreSQL when ``RINGFENCE_TEST_POSTGRES_URL`` is set): the time of
   ``Dialler.check`` per contact, the whole check made before each dial (the contact read,
   its number decrypted with its own data key, the business and national do-not-call lookups,
   opt-out, consent, the local calling window in every zone of the number, the caller id); and
   of ``rules.refusals`` alone (the pure part, no database).
2. Sustained rate. One dialler in this process, as a worker thread runs it: the real outbound
   caller (agent loaded, answering-machine detection, the voice pipeline) on one telephony
   engine, dialling a campaign of ``5 * cap`` contacts with a calls-per-second cap of ``cap``
   and a concurrency cap high enough not to bind. SIPp answers every call and hangs up after
   ``TALK_MS``. Printed per cap: the dial rate achieved (attempts over the span from the first
   to the last INVITE), calls answered and failed, the most calls up at once, and the CPU
   seconds of this process per call (SIPp runs on the same 2 cores).

Measured here (2 cores shared with SIPp, 2026-12-01):

    rule check per dial (2000 contacts)   full check   rules alone
      sqlite                                 4.7 ms       0.15 ms
      postgresql                             4.5 ms       0.14 ms

    cap/s  calls  rate/s  answered  failed  most up  cpu ms/call
        5     25     5.0        25       0        9        370
       10     50     9.6        50       0       22        288

(Runs differ by up to 15 % here: at cap 10 one run gave 8.4/s, another 9.2/s at 239 ms.)

At 20 calls/s the two cores are exhausted (the agent's pipeline per call) and SQLite's single
writer starts timing out: run the rate part on a quiet machine.

Run: ``.venv/bin/python bench/campaign.py [cap ...]`` (default: 5 10).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from ringfence.clock import SystemClock
from ringfence.logging import configure_logging
from ringfence.privacy.core import Privacy
from ringfence.services.agents.calls.outbound import OutboundCaller
from ringfence.services.agents.campaigns.dialler import Dialler
from ringfence.services.agents.campaigns.rules import CallingRules, Contactee, refusals
from ringfence.services.agents.models import Campaign, CampaignAttempt, CampaignCall
from ringfence.services.agents.testing import CONSENTED, open_shop
from ringfence.settings import LogSettings, Settings
from ringfence.store import Database, migrate
from ringfence.telephony import TelephonyEngine
from ringfence.tenants.scoping import tenant_session
from ringfence.testing.postgres import create_database, drop_database
from sipp_bench import free_port

RULE_CONTACTS = 2000
TALK_MS = 1500
SIPP = "/usr/bin/sipp"
SCENARIO = Path(__file__).resolve().parents[1] / "tests" / "data" / "sipp" / "uas_echo_hangup.xml"
AREAS = ("212", "310", "415", "617", "202", "305", "312", "512", "206", "702",
         "213", "404", "503", "602", "713", "801", "917", "919", "971", "978")  # fmt: skip


def numbers(n: int) -> list[str]:
    return [f"+1{AREAS[i // 100]}5550{100 + i % 100:03d}" for i in range(n)]


def settings_for(folder: Path, url: str, **extra: object) -> Settings:
    return Settings(
        data_dir=folder,
        database_url=url,
        agents={"calling_hours": (0, 24), "tts": "espeak", "campaign_slices": 1},
        **extra,  # type: ignore[arg-type]
    )


async def rule_cost(url: str, folder: Path) -> tuple[float, float]:
    """Microseconds per full check (database included) and per pure rule evaluation."""
    settings = settings_for(folder, url)
    db = Database(url)
    try:
        shop = await open_shop(settings, db, SystemClock(),
                               [(n, CONSENTED) for n in numbers(RULE_CONTACTS)])  # fmt: skip
        campaign_id = await shop.campaign()
        dialler = Dialler(settings, db, Privacy(settings, db), SystemClock(), _never)
        now = dt.datetime.now(dt.UTC)
        async with tenant_session(db, shop.tenant_id) as session:
            campaign = await session.get(Campaign, campaign_id)
            assert campaign is not None
            rows = (await session.scalars(select(CampaignCall))).all()
            start = time.perf_counter()
            for row in rows:
                assert await dialler.check(session, shop.tenant_id, campaign, row, now)
            full = (time.perf_counter() - start) / len(rows) * 1e6
            await session.rollback()
        rules = CallingRules((0, 24))
        who = [Contactee(n, now, None, None) for n in numbers(RULE_CONTACTS)]
        start = time.perf_counter()
        for person in who:
            assert not refusals(person, now, rules, True)
        pure = (time.perf_counter() - start) / len(who) * 1e6
        return full, pure
    finally:
        await db.dispose()


async def _never(*_: object) -> None:
    raise AssertionError("the rule benchmark places no call")


async def sustained(cap: int, folder: Path) -> dict[str, float]:
    url = f"sqlite+aiosqlite:///{folder / f'rate{cap}.db'}"
    await asyncio.to_thread(migrate, url)
    contacts = numbers(5 * cap)
    port = free_port()
    text = SCENARIO.read_text().replace("{talk_ms}", str(TALK_MS))
    scenario = folder / "uas.xml"
    scenario.write_text(text)
    sipp = await asyncio.create_subprocess_exec(
        SIPP, "-i", "127.0.0.1", "-p", str(port), "-mp", str(free_port()), "-sf", str(scenario),
        "-m", str(len(contacts)), "-nostdin", "-timeout", "120s", "-max_retrans", "3",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    settings = settings_for(
        folder, url,
        telephony={"sip_host": "127.0.0.1", "rtp_port_min": 30000, "rtp_port_max": 39998,
                   "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": port}]},
    )  # fmt: skip
    db = Database(url)
    engine = TelephonyEngine(settings, privacy=Privacy(settings, db), port=0, outbound_only=True)
    await engine.start()
    try:
        shop = await open_shop(settings, db, SystemClock(), [(n, CONSENTED) for n in contacts])
        campaign = await shop.campaign(max_concurrent=1000, calls_per_second=cap)
        await shop.campaigns.start(shop.owner, shop.tenant_id, campaign)
        privacy = Privacy(settings, db)
        caller = OutboundCaller(settings, db, privacy, engine, SystemClock())
        dialler = Dialler(settings, db, privacy, SystemClock(), caller.call)
        most = 0

        async def watch() -> None:
            nonlocal most
            while True:
                most = max(most, len(engine.active_calls()))
                await asyncio.sleep(0.05)

        watcher = asyncio.ensure_future(watch())
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(100):
            later = await dialler.run(shop.tenant_id, campaign)
            if later is None:
                break
            await asyncio.sleep(later)
        used = resource.getrusage(resource.RUSAGE_SELF)
        watcher.cancel()
        async with tenant_session(db, shop.tenant_id) as session:
            attempts = (await session.scalars(select(CampaignAttempt))).all()
        starts = sorted(a.started_at for a in attempts)
        span = (starts[-1] - starts[0]).total_seconds()
        seconds = (used.ru_utime + used.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
        return {
            "cap": cap,
            "calls": len(contacts),
            "rate": (len(starts) - 1) / span if span else float("nan"),
            "answered": sum(a.outcome == "answered" for a in attempts),
            "failed": sum(a.outcome not in ("answered",) for a in attempts),
            "most": most,
            "cpu_ms": seconds / len(contacts) * 1000,
        }
    finally:
        await engine.stop()
        await db.dispose()
        if sipp.returncode is None:
            sipp.kill()
        await sipp.wait()


async def main(caps: list[int]) -> None:
    configure_logging(LogSettings(level="WARNING", format="console"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sqlite = f"sqlite+aiosqlite:///{folder / 'rules.db'}"
        await asyncio.to_thread(migrate, sqlite)
        engines = [("sqlite", sqlite)]
        postgres = os.environ.get("RINGFENCE_TEST_POSTGRES_URL")
        if postgres:
            pg = await create_database(postgres, "rf_bench")
            await asyncio.to_thread(migrate, pg)
            engines.append(("postgresql", pg))
        try:
            print(f"rule check per dial ({RULE_CONTACTS} contacts):")
            for name, url in engines:
                full, pure = await rule_cost(url, folder)
                print(f"  {name:10}  full check {full:7.0f} us   rules alone {pure:5.1f} us")
        finally:
            if postgres:
                await drop_database(postgres, pg)
        print(f"\nsustained dialling (SIPp answers, hangs up after {TALK_MS} ms):")
        print("  cap/s  calls  rate/s  answered  failed  most up  cpu ms/call")
        for cap in caps:
            r = await sustained(cap, folder)
            print(f"  {r['cap']:5.0f}  {r['calls']:5.0f}  {r['rate']:6.1f}  {r['answered']:8.0f}"
                  f"  {r['failed']:6.0f}  {r['most']:7.0f}  {r['cpu_ms']:11.1f}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main([int(a) for a in sys.argv[1:]] or [5, 10]))
