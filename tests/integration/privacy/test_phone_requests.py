"""Privacy requests by phone number, for people without an account, against a real server: SIPp
is the phone that answers the proving call and types the code (SIP INFO), two businesses hold
the number in their contact lists and ring has rung it; the person sees, exports and erases it
all, each business sees the request with its deadline, and the operator's console lists it.
A wrong code proves nothing, and the limits per number and per network hold."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from ringfence.services.agents.models import Contact
from ringfence.store import Database
from ringfence.telephony.models import CallRecord, PhoneProof
from ringfence.tenants.models import RightsNotice
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import verified_login
from tests.support.admin import client, console_site, operator_login
from tests.support.captcha import solved
from tests.support.logs import watched_logs
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, sipp_peer

pytestmark = pytest.mark.integration

NUMBER = "+44 7400 123456"
OTHER = "+44 7400 654321"
CSV = f"Phone,Name\n{NUMBER},Ann Example\n{OTHER},Bob Example\n"


def _telephony(phone_port: int) -> dict[str, Any]:
    low, high = free_rtp_range()
    return {
        "enabled": True,
        "sip_port": free_port(),
        "rtp_port_min": low,
        "rtp_port_max": high,
        "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": phone_port}],
    }


@asynccontextmanager
async def _site(
    make_settings: SettingsFactory, database_url: str, phone_port: int
) -> AsyncIterator[tuple[str, Any]]:
    async with console_site(
        make_settings,
        database_url,
        telephony=_telephony(phone_port),
        captcha={"max_number": 1000},
        ring={"message": "Ringfence test.", "ring_time": 5},
    ) as (base, inbox):
        yield base, inbox


async def _steps(person: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    """Every state of the proving call, from its event stream (which ends with the call)."""
    response = await person.get(f"/api/privacy/phone/calls/{call_id}/events")
    assert response.status_code == 200, response.text
    return [
        json.loads(line.removeprefix("data: "))
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]


async def _prove(
    person: httpx.AsyncClient, phone_port: int, *, typed: str | None = None
) -> tuple[str, str]:
    """Ask for a code, answer the call with SIPp typing ``typed`` (the code by default); the
    offer's token and the call's last state."""
    body = {"number": NUMBER, "captcha": await solved(person)}
    offer = await person.post("/api/privacy/phone", json=body)
    assert offer.status_code == 200, offer.text
    token, code = offer.json()["token"], offer.json()["code"]
    assert offer.json()["number"] == NUMBER
    digits = typed if typed is not None else code
    fill = {f"d{i + 1}": d for i, d in enumerate(digits)}
    async with sipp_peer("uas_type_code", fill={**fill, "wait_ms": "300"}, port=phone_port):
        placed = await person.post("/api/privacy/phone/call", json={"token": token})
        assert placed.status_code == 202, placed.text
        steps = await _steps(person, placed.json()["id"])
    assert [s["state"] for s in steps][:3] == ["dialling", "ringing", "answered"]
    return token, str(steps[-1]["outcome"])


async def _rows(database_url: str, model: Any, *where: Any) -> int:
    db = Database(database_url)
    try:
        async with db.session() as session:
            found = await session.scalar(select(func.count()).select_from(model).where(*where))
            return int(found or 0)
    finally:
        await db.dispose()


@ENGINES
async def test_a_number_proved_by_a_call_sees_exports_and_erases_what_every_business_holds(
    make_settings: SettingsFactory, database_url: str
) -> None:
    phone_port = free_port()
    with watched_logs() as logs:
        async with (
            _site(make_settings, database_url, phone_port) as (base, inbox),
            client(base) as owner,
            client(base) as person,
            client(base) as ringer,
            client(base) as operator,
        ):
            # Two businesses have the number in a contact list; ring has rung it.
            csrf = await verified_login(owner, inbox, "owner@example.org")
            headers = {"X-CSRF-Token": csrf}
            tenants = []
            for name in ("Shop", "Clinic"):
                made = await owner.post("/api/tenants", json={"name": name}, headers=headers)
                tenants.append(made.json()["id"])
                upload = await owner.post(
                    f"/api/tenants/{made.json()['id']}/contact-lists",
                    params={"name": "List", "phone_column": "Phone", "name_column": "Name"},
                    content=CSV.encode(),
                    headers=headers,
                )
                assert upload.status_code == 201, upload.text
            shop, clinic = tenants
            async with sipp_peer("uas", port=phone_port):
                rung = await ringer.post(
                    "/api/ring",
                    json={"number": NUMBER, "captcha": await solved(ringer)},
                )
                assert rung.status_code == 202, rung.text
                await ringer.get(f"/api/ring/{rung.json()['id']}/events")

            # Nothing is shown before the number is proved; a wrong code proves nothing.
            assert (await person.get("/api/privacy/phone/summary")).status_code == 403
            page = await person.get("/privacy/phone")
            assert page.status_code == 200 and 'id="phone-offer"' in page.text
            bad = await person.post(
                "/api/privacy/phone", json={"number": "12", "captcha": await solved(person)}
            )
            assert bad.status_code == 422 and "error" in bad.json()
            unsolved = await person.post("/api/privacy/phone", json={"number": NUMBER})
            assert unsolved.status_code == 422
            token, outcome = await _prove(person, phone_port, typed="0000")
            if outcome == "proved":  # the code drawn was 0000 itself: 1 in 10,000
                pytest.skip("the random code was the wrong one typed")
            assert outcome == "not proved"
            refused = await person.post("/api/privacy/phone/session", json={"token": token})
            assert refused.status_code == 403 and "not proved" in refused.text

            # The right code: the proof becomes this browser's session, once.
            token, outcome = await _prove(person, phone_port)
            assert outcome == "proved"
            again = await person.post("/api/privacy/phone/call", json={"token": token})
            assert again.status_code == 403 and "already been used" in again.text
            stranger = await ringer.post("/api/privacy/phone/session", json={"token": token})
            assert stranger.status_code == 403 and "another browser" in stranger.text
            session = await person.post("/api/privacy/phone/session", json={"token": token})
            assert session.status_code == 200, session.text
            shown = session.json()["number"]
            assert shown.endswith("56") and "7400" not in shown
            twice = await person.post("/api/privacy/phone/session", json={"token": token})
            assert twice.status_code == 403

            summary = (await person.get("/api/privacy/phone/summary")).json()
            held = {h["category"]: h for h in summary["holdings"]}
            assert (
                held["campaign_contact"]["records"] == 2
                and held["campaign_contact"]["businesses"] == 2
            )
            assert held["call_record"]["records"] == 3  # ring's call and the two proving calls

            access = await person.post("/api/privacy/phone/requests", json={"kind": "access"})
            assert access.status_code == 200, access.text
            exported = access.json()["export"]["data"]
            assert len(exported["campaign_contact"]["records"]) == 2
            services = sorted(r["service"] for r in exported["call_record"]["records"])
            assert services == ["privacy", "privacy", "ring"]
            assert access.json()["businesses_told"] == 2 and access.json()["receipt"]

            # Each business sees the request with its deadline; only its own.
            listed = (await owner.get(f"/api/tenants/{shop}/rights-notices")).json()["notices"]
            (notice,) = listed
            assert notice["kind"] == "access" and notice["acknowledged_at"] is None
            assert [(a["category"], a["records"]) for a in notice["affected"]] == [
                ("campaign_contact", 1)
            ]
            received = dt.datetime.fromisoformat(notice["received_at"])
            answer_by = dt.datetime.fromisoformat(notice["answer_by"])
            assert (answer_by - received).days == 30  # the GDPR's month
            clinic_notice = (await owner.get(f"/api/tenants/{clinic}/rights-notices")).json()
            notices = f"/api/tenants/{shop}/rights-notices"
            other_id = clinic_notice["notices"][0]["id"]
            crossed = await owner.post(f"{notices}/{other_id}/acknowledge", headers=headers)
            assert crossed.status_code == 404
            forged = await owner.post(f"{notices}/{notice['id']}/acknowledge")
            assert forged.status_code == 403
            acknowledged = await owner.post(
                f"{notices}/{notice['id']}/acknowledge", headers=headers
            )
            assert acknowledged.status_code == 200
            page = await owner.get(f"/agents/b/{shop}/privacy-requests")
            assert page.status_code == 200 and 'data-acknowledged="1"' in page.text

            # A restriction: the businesses' campaigns may no longer call the number.
            restricted = await person.post("/api/privacy/phone/requests", json={"kind": "restrict"})
            assert restricted.status_code == 200, restricted.text
            (listed_list,) = (await owner.get(f"/api/tenants/{shop}/contact-lists")).json()["lists"]
            check = f"/api/tenants/{shop}/contact-lists/{listed_list['id']}/check"
            checked = (await owner.get(check)).json()
            by_tail = {c["number"]: c["refusals"] for c in checked["contacts"]}
            restriction = "the number's owner restricted the processing of their data"
            assert restriction in by_tail["…56"] and restriction not in by_tail["…21"]

            # Lifted by the person: the campaigns may call the number again; each business is
            # told, as of every request.
            lifted = await person.post(
                "/api/privacy/phone/requests", json={"kind": "lift_restriction"}
            )
            assert lifted.status_code == 200, lifted.text
            (action,) = json.loads(lifted.json()["receipt"])["receipt"]["actions"]
            assert action == {"action": "restriction lifted", "lifted": ["restrict"]}
            checked = (await owner.get(check)).json()
            by_tail = {c["number"]: c["refusals"] for c in checked["contacts"]}
            assert restriction not in by_tail["…56"]

            # Erasure: every business's records and ring's call record go; the session ends.
            erased = await person.post("/api/privacy/phone/requests", json={"kind": "erase"})
            assert erased.status_code == 200, erased.text
            assert erased.json()["businesses_told"] == 2
            assert (await person.get("/api/privacy/phone/summary")).status_code == 403
            assert await _rows(database_url, Contact) == 2  # the other number's, one per list
            assert await _rows(database_url, CallRecord) == 0
            assert await _rows(database_url, PhoneProof) == 0
            assert await _rows(database_url, RightsNotice) == 8  # 4 requests, 2 businesses each
            listed = (await owner.get(f"/api/tenants/{clinic}/rights-notices")).json()["notices"]
            kinds = sorted(n["kind"] for n in listed)
            assert kinds == ["access", "erase", "lift_restriction", "restrict"]

            # The operator's console lists the requests and what the businesses did.
            await operator_login(operator)
            console = await operator.get("/admin/rights")
            assert console.status_code == 200 and 'id="rights-by-phone"' in console.text
            assert "1 of 2" in console.text and console.text.count("0 of 2") == 3
    leaked = [e for e in logs.entries if "7400123456" in repr(e) or "7400654321" in repr(e)]
    assert leaked == []


async def test_proving_calls_are_limited_per_number_and_per_network(
    make_settings: SettingsFactory, database_url: str
) -> None:
    """Three calls an hour to one number, ten a day from one network: the next is refused
    before anything is dialled, with the reason."""
    phone_port = free_port()
    numbers = [f"+44 7400 1000{i:02d}" for i in range(8)]
    async with (
        _site(make_settings, database_url, phone_port) as (base, _),
        client(base) as person,
    ):

        async def call(number: str) -> httpx.Response:
            body = {"number": number, "captcha": await solved(person)}
            offer = await person.post("/api/privacy/phone", json=body)
            assert offer.status_code == 200, offer.text
            return await person.post(
                "/api/privacy/phone/call", json={"token": offer.json()["token"]}
            )

        async with sipp_peer("uas_reject", fill={"status": "486"}, calls=10, port=phone_port):
            for _ in range(3):
                placed = await call(NUMBER)
                assert placed.status_code == 202, placed.text
                assert (await _steps(person, placed.json()["id"]))[-1]["outcome"] == "not proved"
            refused = await call(NUMBER)
            assert refused.status_code == 429 and "this number has been called 3" in refused.text
            for number in numbers[:7]:
                placed = await call(number)
                assert placed.status_code == 202, placed.text
                await _steps(person, placed.json()["id"])
        refused = await call(numbers[7])
        assert refused.status_code == 429 and "from your network today" in refused.text


async def test_an_anonymous_erase_removes_the_call_records_of_the_rings_asked_for(
    make_settings: SettingsFactory, database_url: str
) -> None:
    """ring's privacy page lists its call records; the visitor who asked for a ring erases
    their data and the ring's call record goes with the ring log (another's stays)."""
    phone_port = free_port()
    async with (
        _site(make_settings, database_url, phone_port) as (base, _),
        client(base) as ringer,
        client(base) as other,
    ):
        policy = await ringer.get("/ring/privacy")
        assert "Records of ring calls" in policy.text
        (declared,) = [
            c
            for c in (await ringer.get("/privacy.json")).json()["categories"]
            if c["name"] == "ring_call_record"
        ]
        assert declared["retention_days"] == 90 and declared["service"] == "ring"
        async with sipp_peer("uas", port=phone_port, calls=2):
            for visitor, number in ((ringer, NUMBER), (other, OTHER)):
                body = {"number": number, "captcha": await solved(visitor)}
                rung = await visitor.post("/api/ring", json=body)
                assert rung.status_code == 202, rung.text
                await visitor.get(f"/api/ring/{rung.json()['id']}/events")
        assert await _rows(database_url, CallRecord, CallRecord.service == "ring") == 2
        erased = await ringer.post("/privacy/requests", json={"kind": "erase"})
        assert erased.status_code == 200, erased.text
        receipt = erased.json()["receipt"]
        assert "ring_call_record" in receipt
        assert await _rows(database_url, CallRecord, CallRecord.service == "ring") == 1
