"""An evaluation call (CallScore) against a scripted business: SIPp rings and answers, the
test plays the business (a greeting, an answer to each question, a goodbye) through its own
RTP socket, the mystery shopper's job runs on the queue's worker, and the report's signals
match the script, each with its evidence; the report is read over HTTP, names its rubric
version, and the published rubric is served."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from ringfence.accounts.models import Account
from ringfence.billing.ledger import Ledger
from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.privacy.core import Privacy
from ringfence.services.agents.evaluations.service import Evaluations
from ringfence.services.agents.models import EvaluationCall
from ringfence.services.agents.testing import RATES, fund, open_shop, verify_number
from ringfence.speech.tts import HibariSpeaker
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session
from tests.conftest import SettingsFactory
from tests.support.accounts import site, verified_login
from tests.support.rtp import Ear, ear_port, open_ear
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, start_sipp

pytestmark = pytest.mark.integration

NUMBER = "+442079460123"
GREETING = "Thank you for calling Harbour Dental, this is Anna speaking, how can I help you?"
REPLIES = [
    "A check-up costs forty pounds.",
    "We are open from nine in the morning to five in the evening.",
    "Of course, I can book you in on Tuesday at ten. We also have a special offer on whitening.",
    "Thank you for calling, goodbye.",
]


async def _business(ear: Ear) -> None:
    """Greets as soon as the line is open, then answers each thing the shopper says."""
    voice = HibariSpeaker()
    await ear.until(lambda: ear.peer is not None and len(ear.frames) > 5, 60)
    await ear.say(await voice.synthesize(GREETING))
    for reply in REPLIES:
        mark = len(ear.frames)
        await ear.until(
            lambda m=mark: ear.speaking(m, frames=25) and ear.spoke_then_paused(1.0, m), 60
        )
        await ear.say(await voice.synthesize(reply))


def _rates(tmp_path: Path) -> str:
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    return str(rates)


async def test_an_evaluation_call_is_scored_on_the_published_rubric(
    make_settings: SettingsFactory, database_url: str, db: Database, tmp_path: Path
) -> None:
    low, high = free_rtp_range()
    port = free_port()
    settings = make_settings(
        database_url=database_url,
        telephony={"sip_host": "127.0.0.1", "rtp_port_min": low, "rtp_port_max": high,
                   "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": port}]},
        billing={"rates_file": _rates(tmp_path)},
    )  # fmt: skip
    ear = await open_ear()
    sipp = await start_sipp("uas_business", port=port, limit="120s",
                            fill={"ear_port": str(ear_port(ear)), "ring_ms": "2000"})  # fmt: skip
    shop = await open_shop(settings, db, SystemClock(), [])
    # An evaluation calls only a number the business verified, paid by the member who asks.
    await verify_number(settings, db, SystemClock(), shop.tenant_id, NUMBER)
    await fund(settings, db, SystemClock(), shop.owner.id, 5_000)
    queue = JobQueue(settings)
    queue.start(workers=1)
    business = asyncio.ensure_future(_business(ear))
    try:
        evaluations = Evaluations(Privacy(settings, db), queue.enqueue)
        questions = ["price", "hours", "appointment"]
        asked = await evaluations.request(shop.owner, shop.tenant_id, NUMBER, "Harbour Dental",
                                          questions, "a check-up")  # fmt: skip
        assert asked["state"] == "queued" and asked["rubric_version"] == "1"
        # The job runs on the queue's thread: no event crosses to this loop, so it looks.
        for _ in range(240):
            report = await evaluations.get(shop.owner, shop.tenant_id, asked["id"])
            if report["state"] not in ("queued", "calling"):
                break
            await asyncio.sleep(0.5)
        await business
        rc, screen = await sipp.finish()
        assert rc == 0, screen
    finally:
        business.cancel()
        await asyncio.to_thread(queue.stop)
        await sipp.kill()
        assert ear.transport is not None
        ear.transport.close()
    transcript = " | ".join(f"{t['speaker']}: {t['text']}" for t in report["transcript"])
    assert report["state"] == "done", transcript
    signals = {s["id"]: s for s in report["report"]["signals"]}
    failed = sorted(k for k, s in signals.items() if not s["passed"])
    assert failed == ["call_back_promise"], (failed, transcript)
    assert 1.8 <= signals["time_to_answer"]["value"] <= 5.0  # SIPp rang 2 s
    assert re.search(r"harbou?r dental", signals["greeting_names_business"]["evidence"]["quote"],
                     re.I), transcript  # fmt: skip
    assert signals["greeting"]["evidence"]["at"] < 3.0  # the rubric: within 3 s
    assert signals["questions_answered"]["value"] == "3/3"
    assert "special offer" in signals["upsell"]["evidence"]["quote"].lower()
    assert "goodbye" in signals["closing"]["evidence"]["quote"].lower()
    assert report["report"]["rubric"] == "CallScore 1" and report["score"] > 90
    speakers = [t["speaker"] for t in report["transcript"]]
    assert speakers[0] == "business" and speakers.count("shopper") == 4
    async with tenant_session(db, shop.tenant_id) as session:  # stored encrypted, per business
        row = await session.get(EvaluationCall, asked["id"])
    assert row is not None and row.transcript is not None and row.report is not None
    said = report["transcript"][0]["text"]
    assert said.encode() not in row.transcript and b"call_back_promise" not in row.report
    assert row.key_ref == f"tenant:{shop.tenant_id}"
    async with db.session() as session:  # charged: the answered time, the rest released
        ledger = Ledger(SystemClock())
        spent = 5_000 - await ledger.balance(session, f"wallet:{shop.owner.id}", "EUR")
        assert await ledger.balance(session, f"hold:{shop.owner.id}", "EUR") == 0
        assert spent == await ledger.balance(session, "revenue", "EUR") and spent > 10


async def test_evaluations_over_http_and_the_published_rubric(
    make_settings: SettingsFactory, database_url: str, db: Database, tmp_path: Path
) -> None:
    billing = {"rates_file": _rates(tmp_path)}
    async with site(make_settings, database_url, billing=billing) as (client, inbox, settings):
        csrf = {"X-CSRF-Token": await verified_login(client, inbox, "owner@example.org")}
        tenant = (await client.post("/api/tenants", json={"name": "Harbour Dental"},
                                    headers=csrf)).json()["id"]  # fmt: skip
        await verify_number(settings, db, SystemClock(), tenant, NUMBER)
        async with db.session() as session:
            owner = await session.scalar(select(Account.id))
        assert owner is not None
        await fund(settings, db, SystemClock(), owner, 1_000)
        url = f"/api/tenants/{tenant}/evaluations"
        body = {"number": NUMBER, "business": "Harbour Dental", "questions": ["price"]}
        bad = await client.post(url, headers=csrf, json={**body, "questions": ["weather"]})
        assert bad.status_code == 422 and "price, hours, appointment" in bad.text
        nonsense = await client.post(url, headers=csrf, json={**body, "number": "12"})
        assert nonsense.status_code == 422
        made = await client.post(url, headers=csrf, json=body)
        assert made.status_code == 202 and made.json()["state"] == "queued"
        listed = (await client.get(url)).json()["evaluations"]
        assert [(e["number"], e["state"]) for e in listed] == [(NUMBER, "queued")]
        page = await client.get(f"/agents/b/{tenant}/evaluations")
        assert page.status_code == 200 and NUMBER in page.text and "published rubric" in page.text
        one = await client.get(f"/agents/b/{tenant}/evaluations/{made.json()['id']}")
        assert one.status_code == 200 and "CallScore rubric, version 1" in one.text
        assert "Waiting to call" in one.text and ">queued<" not in one.text
        published = await client.get("/agents/callscore/rubric/1")
        assert published.status_code == 200 and published.json()["version"] == "1"
        assert len(published.json()["signals"]) == 14
        assert (await client.get("/agents/callscore/rubric/7")).status_code == 404
        # A browser gets the rubric as a page; ?format=json gets the document from anywhere.
        shown = await client.get("/agents/callscore/rubric/1", headers={"Accept": "text/html"})
        assert shown.headers["content-type"].startswith("text/html")
        assert "Answered within 15 seconds" in shown.text and '"signals"' not in shown.text
        data = await client.get(
            "/agents/callscore/rubric/1?format=json", headers={"Accept": "text/html"}
        )
        assert data.json()["version"] == "1"
