"""Attacks on a business's numbers and on unpaid calls, against the app on a real uvicorn with
SIPp as the phone and the carrier.

- A business claims a number it has not proved: its agent cannot answer it (403) and a campaign
  cannot show it (403).
- The proving call: SIPp answers and types the code as SIP INFO key presses. A wrong code leaves
  the number unverified; the right one makes it the business's, and the agent may then take it.
  A token places one call only.
- Another business cannot list, remove, route or show the number (cross-tenant probe).
- An evaluation without credit is refused (402) and SIPp gets no INVITE; without a rate table
  it is refused (503); an evaluation that runs is charged: ledger entries after the call.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringfence.billing.ledger import Ledger
from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.services.agents.testing import RATES, fund, verify_number
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.accounts import account_of, verified_login
from tests.support.mail import Inbox, smtp_server
from tests.support.server import free_port
from tests.support.sipp import SippRun, free_rtp_range, sipp_peer
from tests.support.web import serving

pytestmark = pytest.mark.integration

NUMBER = "+447400123456"  # the business's own mobile


def _settings(
    make_settings: SettingsFactory,
    database_url: str,
    tmp_path: Path,
    carrier: int,
    mail: int,
    *,
    rates: bool = True,
) -> Settings:
    billing: dict[str, Any] = {}
    if rates:
        path = tmp_path / "rates.csv"
        path.write_text(RATES)
        billing["rates_file"] = str(path)
    low, high = free_rtp_range()
    return make_settings(
        database_url=database_url,
        telephony={"enabled": True, "sip_port": free_port(), "rtp_port_min": low,
                   "rtp_port_max": high,
                   "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": carrier}]},
        billing=billing,
        mail={"smtp_host": "127.0.0.1", "smtp_port": mail, "starttls": False},
        web={"public_url": "http://testserver"},
    )  # fmt: skip


@asynccontextmanager
async def _member(base: str, inbox: Inbox, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-up, verified, signed-in client; its CSRF token rides on every request."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        original = client.get

        async def get(url: str, **kw: Any) -> httpx.Response:  # the mailed links name testserver
            return await original(url.replace("http://testserver", ""), **kw)

        client.get = get  # type: ignore[method-assign]
        client.headers["X-CSRF-Token"] = await verified_login(client, inbox, email)
        yield client


async def _business(client: httpx.AsyncClient, name: str) -> str:
    made = await client.post("/api/tenants", json={"name": name})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def _prove(
    client: httpx.AsyncClient, tenant: str, phone_port: int, *, wrong: bool = False
) -> tuple[str, str]:
    """Ask for a code, and let SIPp answer the call and type it (or a wrong one); the outcome
    and the token."""
    offer = await client.post(f"/api/tenants/{tenant}/numbers", json={"number": "07400 123456",
                                                                     "country": "GB"})  # fmt: skip
    assert offer.status_code == 200, offer.text
    token, code = offer.json()["token"], offer.json()["code"]
    typed = "".join(str((int(d) + 1) % 10) for d in code) if wrong else code
    digits = {f"d{i + 1}": d for i, d in enumerate(typed)}
    async with sipp_peer("uas_type_code", fill={**digits, "wait_ms": "300"}, port=phone_port):
        placed = await client.post(f"/api/tenants/{tenant}/numbers/call", json={"token": token})
        assert placed.status_code == 202, placed.text
        url = f"/api/tenants/{tenant}/numbers/calls/{placed.json()['id']}"
        for _ in range(600):  # the page polls the same way
            followed = (await client.get(url)).json()
            if followed["finished"]:
                break
            await asyncio.sleep(0.2)
    return str(followed["steps"][-1]["outcome"]), token


async def _numbers(client: httpx.AsyncClient, tenant: str) -> list[dict[str, str]]:
    listed = await client.get(f"/api/tenants/{tenant}/numbers")
    assert listed.status_code == 200, listed.text
    return list(listed.json()["numbers"])


async def test_a_number_is_the_business_only_once_its_code_is_typed_on_a_call_to_it(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    phone_port = free_port()
    with smtp_server() as (inbox, mail_port):
        settings = _settings(make_settings, database_url, tmp_path, phone_port, mail_port)
        async with (
            serving(create_app(settings, run_workers=False)) as base,
            _member(base, inbox, "alice@example.org") as alice,
            _member(base, inbox, "bob@example.org") as bob,
        ):
            tenant = await _business(alice, "Alice Bakery")
            desk = {"name": "Desk", "greeting": "Hello", "phone_number": NUMBER}
            claimed = await alice.post(f"/api/tenants/{tenant}/agents", json=desk)
            assert claimed.status_code == 403, claimed.text
            assert "not a number this business has verified" in claimed.text
            assert NUMBER not in claimed.text  # masked
            campaign = {"name": "x", "agent_id": "x", "list_id": "x", "opening": "Hello",
                        "caller_id": "not-a-number-of-ours"}  # fmt: skip
            shown = await alice.post(f"/api/tenants/{tenant}/campaigns", json=campaign)
            assert shown.status_code == 403 and "not one this business has verified" in shown.text

            outcome, _ = await _prove(alice, tenant, phone_port, wrong=True)
            assert outcome == "not verified"
            assert await _numbers(alice, tenant) == []
            assert (await alice.post(f"/api/tenants/{tenant}/agents", json=desk)).status_code == 403

            outcome, token = await _prove(alice, tenant, phone_port)
            assert outcome == "verified"
            (mine,) = await _numbers(alice, tenant)
            assert mine["number"] == NUMBER
            again = await alice.post(f"/api/tenants/{tenant}/numbers/call", json={"token": token})
            assert again.status_code == 403 and "already been used" in again.text
            agent = await alice.post(f"/api/tenants/{tenant}/agents", json=desk)
            assert agent.status_code == 201 and agent.json()["phone_number"] == NUMBER

            # Another business: cannot see, remove, route or show Alice's number.
            other = await _business(bob, "Bob Garage")
            assert (await bob.get(f"/api/tenants/{tenant}/numbers")).status_code == 404
            for where in (tenant, other):
                gone = await bob.delete(f"/api/tenants/{where}/numbers/{mine['id']}")
                assert gone.status_code == 404, gone.text
            assert await _numbers(bob, other) == []
            stolen = await bob.post(f"/api/tenants/{other}/agents", json=desk)
            assert stolen.status_code == 403, stolen.text
            shown = await bob.post(f"/api/tenants/{other}/campaigns",
                                   json={**campaign, "caller_id": mine["id"]})  # fmt: skip
            assert shown.status_code == 403, shown.text
            foreign = await bob.post(f"/api/tenants/{other}/numbers/call", json={"token": token})
            assert foreign.status_code == 403 and "someone else" in foreign.text
            assert [n["id"] for n in await _numbers(alice, tenant)] == [mine["id"]]

            # Removing it takes the agent off it at once.
            removed = await alice.delete(f"/api/tenants/{tenant}/numbers/{mine['id']}")
            assert removed.status_code == 200, removed.text
            listed = (await alice.get(f"/api/tenants/{tenant}/agents")).json()["agents"]
            assert [a["phone_number"] for a in listed] == [None]


async def _invites(carrier: SippRun) -> int:
    return carrier.messages.read_text(errors="replace").count("INVITE sip:")


async def _account(settings: Settings, email: str) -> str:
    db = Database(settings.resolved_database_url)
    try:
        found = await account_of(settings, db, email)
    finally:
        await db.dispose()
    assert found is not None
    return found.id


async def test_evaluations_are_paid_for_like_any_call(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    """No credit: refused (402) and nothing dialled. With credit: the call is placed, and the
    ledger holds its reservation and its settlement (the answered seconds charged)."""
    carrier_port = free_port()
    with smtp_server() as (inbox, mail_port):
        settings = _settings(make_settings, database_url, tmp_path, carrier_port, mail_port)
        db = Database(database_url)
        worker = JobQueue(settings)  # a worker beside the server, on the same queue
        worker.start(workers=1)
        try:
            async with (
                sipp_peer(
                    "uas_echo_hangup", fill={"talk_ms": "3000"}, port=carrier_port
                ) as carrier,
                serving(create_app(settings, run_workers=False)) as base,
                _member(base, inbox, "alice@example.org") as alice,
            ):
                tenant = await _business(alice, "Alice Bakery")
                account = await _account(settings, "alice@example.org")
                await verify_number(settings, db, SystemClock(), tenant, NUMBER)
                url = f"/api/tenants/{tenant}/evaluations"
                body = {"number": NUMBER, "business": "Alice Bakery", "questions": ["price"]}
                broke = await alice.post(url, json=body)
                assert broke.status_code == 402, broke.text
                assert "not enough credit" in broke.json()["error"]["message"]
                assert (await alice.get(url)).json()["evaluations"] == []
                assert await _invites(carrier) == 0

                await fund(settings, db, SystemClock(), account, 1_000)
                made = await alice.post(url, json=body)
                assert made.status_code == 202, made.text
                one = f"{url}/{made.json()['id']}"
                for _ in range(480):  # the job runs on the worker thread: no event to await
                    if (await alice.get(one)).json()["state"] not in ("queued", "calling"):
                        break
                    await asyncio.sleep(0.5)
                assert await _invites(carrier) == 1
        finally:
            await asyncio.to_thread(worker.stop)
        ledger = Ledger(SystemClock())
        async with db.session() as session:
            wallet = await ledger.balance(session, f"wallet:{account}", "EUR")
            held = await ledger.balance(session, f"hold:{account}", "EUR")
            revenue = await ledger.balance(session, "revenue", "EUR")
        await db.dispose()
        assert held == 0  # reserved before the call, settled after it
        assert revenue > 10 and wallet == 1_000 - revenue  # connection fee + answered seconds


async def test_an_evaluation_without_a_rate_table_is_refused(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    carrier_port = free_port()
    with smtp_server() as (inbox, mail_port):
        settings = _settings(
            make_settings, database_url, tmp_path, carrier_port, mail_port, rates=False
        )
        db = Database(database_url)
        async with (
            serving(create_app(settings, run_workers=False)) as base,
            _member(base, inbox, "alice@example.org") as alice,
        ):
            tenant = await _business(alice, "Alice Bakery")
            await verify_number(settings, db, SystemClock(), tenant, NUMBER)
            body = {"number": NUMBER, "business": "Alice Bakery", "questions": ["price"]}
            refused = await alice.post(f"/api/tenants/{tenant}/evaluations", json=body)
        await db.dispose()
        assert refused.status_code == 503 and "rate table" in refused.text
