"""Issue 18: "running a CallScore evaluation locks SQLite for about a minute". An evaluation
call runs on the in-process job worker of an app on SQLite (the default install) against a
scripted business (SIPp and the test's own RTP socket), while a visitor loads pages and makes
rights requests (writes) without pause: none of them fails, nothing logs ``database is
locked``, and the evaluation is scored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ringfence.accounts.models import Account
from ringfence.clock import SystemClock
from ringfence.services.agents.testing import RATES, fund, verify_number
from ringfence.speech.tts import HibariSpeaker
from ringfence.store import Database
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.accounts import verified_login
from tests.support.logs import watched_logs
from tests.support.mail import smtp_server
from tests.support.rtp import Ear, ear_port, open_ear
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, start_sipp
from tests.support.web import client_for

pytestmark = pytest.mark.integration

NUMBER = "+442079460123"
GREETING = "Thank you for calling Harbour Dental, this is Anna speaking, how can I help you?"
REPLIES = ["A check-up costs forty pounds.", "Thank you for calling, goodbye."]


async def _business(ear: Ear) -> None:
    voice = HibariSpeaker()
    await ear.until(lambda: ear.peer is not None and len(ear.frames) > 5, 90)
    await ear.say(await voice.synthesize(GREETING))
    for reply in REPLIES:
        mark = len(ear.frames)
        await ear.until(
            lambda m=mark: ear.speaking(m, frames=25) and ear.spoke_then_paused(1.0, m), 60
        )
        await ear.say(await voice.synthesize(reply))


async def _visit(client: httpx.AsyncClient, pages: list[str], statuses: list[int]) -> None:
    """Pages and rights requests back to back, as a visitor clicking around."""
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as own:
        for i in range(10_000):
            if i % 3 == 2:
                answer = await own.post("/privacy/requests", json={"kind": "access"})
            else:
                answer = await own.get(pages[i % len(pages)])
            statuses.append(answer.status_code)
            await asyncio.sleep(0)


async def test_an_evaluation_running_never_fails_a_page(
    make_settings: SettingsFactory, database_url: str, db: Database, tmp_path: Path
) -> None:
    assert database_url.startswith("sqlite")
    low, high = free_rtp_range()
    port = free_port()
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    ear = await open_ear()
    with smtp_server() as (inbox, smtp_port), watched_logs() as logs:
        settings = make_settings(
            database_url=database_url,
            mail={"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "starttls": False},
            web={"public_url": "http://testserver"},
            billing={"rates_file": str(rates)},
            jobs={"workers": 1},
            telephony={"sip_host": "127.0.0.1", "rtp_port_min": low, "rtp_port_max": high,
                       "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": port}]},
        )  # fmt: skip
        async with client_for(create_app(settings, run_workers=True)) as client:
            csrf = {"X-CSRF-Token": await verified_login(client, inbox, "owner@example.org")}
            made = await client.post("/api/tenants", json={"name": "Harbour"}, headers=csrf)
            tenant = made.json()["id"]
            await verify_number(settings, db, SystemClock(), tenant, NUMBER)
            async with db.session() as session:
                owner = await session.scalar(select(Account.id))
            assert owner is not None
            await fund(settings, db, SystemClock(), owner, 5_000)
            fill = {"ear_port": str(ear_port(ear)), "ring_ms": "500"}
            sipp = await start_sipp("uas_business", port=port, limit="120s", fill=fill)
            business = asyncio.ensure_future(_business(ear))
            url = f"/api/tenants/{tenant}/evaluations"
            body = {"number": NUMBER, "business": "Harbour Dental", "questions": ["price"]}
            statuses: list[int] = []
            pages = [f"/agents/b/{tenant}/evaluations", url, "/privacy", "/account"]
            visitor: asyncio.Future[None] | None = None
            try:
                asked = await client.post(url, headers=csrf, json=body)
                assert asked.status_code == 202, asked.text
                visitor = asyncio.ensure_future(_visit(client, pages, statuses))
                await asyncio.wait_for(business, 150)
                report = (await client.get(f"{url}/{asked.json()['id']}")).json()
                for _ in range(600):  # the job keeps its report once the call has ended
                    if report["state"] not in ("queued", "calling"):
                        break
                    await logs.until("evaluation_charged", seconds=60)
                    report = (await client.get(f"{url}/{asked.json()['id']}")).json()
            finally:
                if visitor is not None:
                    visitor.cancel()
                business.cancel()
                await sipp.kill()
                assert ear.transport is not None
                ear.transport.close()
    assert report["state"] == "done", report
    assert len(statuses) > 20 and [s for s in statuses if s >= 500] == []
    locked = [e for e in logs.entries if "locked" in str(e)]
    assert locked == []
