"""Attacks on the outbound gate: toll fraud and caller-ID spoofing through the calls a business
makes (evaluations, the receptionist's transfer), with SIPp as the carrier.

- A business asks for an evaluation (CallScore) of a premium-rate number, of a Cuban number
  (revenue-share fraud), or of someone else's number: refused over HTTP with the reason; an
  evaluation row that reaches the job all the same is refused by the gate, and SIPp gets no
  INVITE.
- The evaluation limit per business holds when the requests come all at once.
- The receptionist's transfer shows the agent's number, never the inbound caller's From, and a
  transfer number of +1 900 is never dialled.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ringfence.accounts.models import Account
from ringfence.clock import SystemClock
from ringfence.errors import Forbidden
from ringfence.privacy.core import Privacy
from ringfence.services.agents.calls.receptionist import Receptionist
from ringfence.services.agents.evaluations.scoring import CURRENT
from ringfence.services.agents.evaluations.service import Evaluations, key_ref
from ringfence.services.agents.models import AgentNumber, EvaluationCall
from ringfence.services.agents.testing import RATES, fund, verify_number
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.telephony import Call, TelephonyEngine
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants
from tests.conftest import SettingsFactory
from tests.support.accounts import add_account, site, verified_login
from tests.support.server import free_port
from tests.support.sipp import SippRun, free_rtp_range, start_sipp

pytestmark = pytest.mark.integration

AGENT_NUMBER = "+442071838750"  # the business's agent answers this number
CALLER = "+14155550142"  # an inbound caller, whose number must never be shown
PERSON = "+442079460000"  # the business's person, where a transfer goes
PREMIUM = "+19005550123"
CUBA = "+5352345678"
SOMEONE_ELSE = "+442079460123"


async def _no_invite(sipp: SippRun) -> None:
    """SIPp (waiting as a carrier) was sent nothing: stop it and read its message log."""
    await sipp.kill()
    assert "INVITE" not in sipp.messages.read_text()


async def _post_evaluation(
    client: httpx.AsyncClient, url: str, csrf: dict[str, str], number: str
) -> httpx.Response:
    body = {"number": number, "business": "Harbour Dental", "questions": ["price"]}
    return await client.post(url, headers=csrf, json=body)


async def test_evaluations_to_fraud_ranges_or_other_peoples_numbers_are_refused(
    make_settings: SettingsFactory, database_url: str
) -> None:
    carrier = await start_sipp("uas", limit="60s")
    extra = {"telephony": {"carriers": [{"name": "sipp", "host": "127.0.0.1",
                                         "port": carrier.port}]}}  # fmt: skip
    try:
        async with site(make_settings, database_url, **extra) as (client, inbox, _):
            csrf = {"X-CSRF-Token": await verified_login(client, inbox, "owner@example.org")}
            made = await client.post("/api/tenants", json={"name": "Harbour"}, headers=csrf)
            tenant = made.json()["id"]
            agent = {"name": "Anna", "greeting": "Hello", "phone_number": AGENT_NUMBER}
            await client.post(f"/api/tenants/{tenant}/agents", headers=csrf, json=agent)
            url = f"/api/tenants/{tenant}/evaluations"
            reasons = {}
            for number in (PREMIUM, CUBA, SOMEONE_ELSE):
                refused = await _post_evaluation(client, url, csrf, number)
                assert refused.status_code == 403, refused.text
                reasons[number] = refused.json()["error"]["message"]
            assert "premium-rate" in reasons[PREMIUM]
            assert "CU" in reasons[CUBA]
            assert "not a number this business has verified" in reasons[SOMEONE_ELSE]
            assert SOMEONE_ELSE not in reasons[SOMEONE_ELSE]  # masked in the message
            assert (await client.get(url)).json()["evaluations"] == []  # nothing queued
    finally:
        await _no_invite(carrier)


@dataclass
class Business:
    settings: Settings
    db: Database
    engine: TelephonyEngine
    owner: Account
    tenant_id: str
    agent_id: str
    carrier_port: int


@pytest.fixture
async def business(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> AsyncIterator[Business]:
    low, high = free_rtp_range()
    carrier_port = free_port()
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    settings = make_settings(
        database_url=database_url,
        telephony={"sip_host": "127.0.0.1", "sip_port": 0, "rtp_port_min": low,
                   "rtp_port_max": high,
                   "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": carrier_port}]},
        agents={"evaluations_per_hour": 3},
        billing={"rates_file": str(rates)},
    )  # fmt: skip
    db = Database(database_url)
    privacy = Privacy(settings, db, SystemClock())
    engine = TelephonyEngine(settings, privacy=privacy, port=0, outbound_only=True)
    await engine.start()
    now = privacy.clock.now()
    owner = await add_account(settings, db, "owner@example.org", verified_at=now)
    tenant = await Tenants(db, privacy.clock).create(owner, "Cutting Edge")
    agent_id = "a" * 32
    async with db.session() as session:
        session.add(AgentNumber(number=AGENT_NUMBER, tenant_id=tenant.id, agent_id=agent_id))
    await verify_number(settings, db, privacy.clock, tenant.id, AGENT_NUMBER)
    await fund(settings, db, privacy.clock, owner.id, 10_000)  # evaluations are charged
    try:
        yield Business(settings, db, engine, owner, tenant.id, agent_id, carrier_port)
    finally:
        await engine.stop()
        await db.dispose()


async def test_an_evaluation_that_reaches_the_job_is_still_refused_by_the_gate(
    business: Business,
) -> None:
    """A row written past the request's checks (an older version, a direct insert) is refused
    when the job would place the call: the gate applies the same rules again."""
    carrier = await start_sipp("uas", port=business.carrier_port, limit="60s")
    now = SystemClock().now()

    async def enqueue(*_: object) -> str:
        return "job"

    evaluations = Evaluations(Privacy(business.settings, business.db), enqueue)
    try:
        for number in (PREMIUM, CUBA, SOMEONE_ELSE):
            row = EvaluationCall(
                number=number,
                business="Harbour",
                state="queued",
                questions=json.dumps([{"asks": "price", "say": "How much?"}]),
                rubric_version=CURRENT,
                requested_at=now,
                keep_until=now,
                key_ref=key_ref(business.tenant_id),
            )
            async with tenant_session(business.db, business.tenant_id) as session:
                session.add(row)
            with pytest.raises(Forbidden):
                await evaluations.run(
                    business.engine, business.tenant_id, row.id, business.owner.id
                )
            async with tenant_session(business.db, business.tenant_id) as session:
                kept = await session.get(EvaluationCall, row.id)
                assert kept is not None and kept.state == "failed"
    finally:
        await _no_invite(carrier)


async def test_the_evaluation_limit_holds_under_concurrent_requests(business: Business) -> None:
    queued: list[str] = []

    async def enqueue(_job: str, _tenant: str, evaluation_id: str, _payer: str) -> str:
        queued.append(evaluation_id)
        return evaluation_id

    owner = business.owner
    evaluations = Evaluations(Privacy(business.settings, business.db), enqueue)
    results = await asyncio.gather(
        *(
            evaluations.request(owner, business.tenant_id, AGENT_NUMBER, "Harbour", ["price"])
            for _ in range(8)
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(queued) == 3 and len(refused) == 5, results
    assert all("3 evaluation calls an hour" in str(r) for r in refused), refused


def _inbound(caller: str) -> Call:
    """The receptionist's side of a call from ``caller`` to the agent's number."""
    clock = SystemClock()
    return Call(id="in", direction="inbound", remote=caller, local=AGENT_NUMBER,
                service="agents", started_at=clock.now(), clock=clock)  # fmt: skip


async def _receptionist(business: Business) -> Receptionist:
    privacy = Privacy(business.settings, business.db, SystemClock())
    return Receptionist(business.settings, business.db, privacy, business.engine,
                        privacy.clock)  # fmt: skip


async def test_a_transfer_shows_the_agents_number_not_the_callers(business: Business) -> None:
    person = await start_sipp("uas", port=business.carrier_port, limit="60s")
    receptionist = await _receptionist(business)
    target = AgentNumber(number=AGENT_NUMBER, tenant_id=business.tenant_id,
                         agent_id=business.agent_id)  # fmt: skip
    try:
        line = await receptionist._put_through(_inbound(CALLER), target, PERSON)
        assert line is not None
        await line.hangup()
        await line.wait_ended()
        rc, screen = await person.finish()
        assert rc == 0, screen
    finally:
        await person.kill()
    invite = person.messages.read_text().split("INVITE sip:", 1)[1].split("\n\n", 1)[0]
    sent_from = next(h for h in invite.splitlines() if h.lower().startswith("from:"))
    assert AGENT_NUMBER in sent_from and CALLER not in invite, sent_from


async def test_a_transfer_to_a_premium_rate_number_is_never_dialled(business: Business) -> None:
    carrier = await start_sipp("uas", port=business.carrier_port, limit="60s")
    receptionist = await _receptionist(business)
    target = AgentNumber(number=AGENT_NUMBER, tenant_id=business.tenant_id,
                         agent_id=business.agent_id)  # fmt: skip
    try:
        assert await receptionist._put_through(_inbound(CALLER), target, PREMIUM) is None
    finally:
        await _no_invite(carrier)
