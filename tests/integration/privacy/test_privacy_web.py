"""The privacy edge over HTTP: policy pages and JSON, consent and Global Privacy Control,
rights requests with receipts held in the visitor's own cookie."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from structlog.testing import capture_logs

from ringfence.privacy.models import ConsentRecord
from ringfence.privacy.receipts import verify_receipt
from ringfence.store import Database
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.web import client_for

pytestmark = pytest.mark.integration


@pytest.fixture
def app(make_settings: SettingsFactory, database_url: str) -> FastAPI:
    settings = make_settings(
        database_url=database_url,
        privacy={"operator_name": "Example Calls Ltd", "operator_contact": "privacy@example.org"},
    )
    return create_app(settings, run_workers=False)


async def _consents(app: FastAPI) -> list[ConsentRecord]:
    """Read with a database handle of the test's own: the app's closes with its lifespan."""
    db = Database(app.state.db.url)
    try:
        async with db.session() as session:
            return list((await session.scalars(select(ConsentRecord))).all())
    finally:
        await db.dispose()


async def test_policy_pages_and_json(app: FastAPI) -> None:
    async with client_for(app) as client:
        page = await client.get("/privacy")
        assert page.status_code == 200
        assert "Example Calls Ltd" in page.text and "privacy@example.org" in page.text
        doc = (await client.get("/privacy.json")).json()
        names = {c["name"] for c in doc["categories"]}
        assert {"audit_log", "consent_record", "rights_request", "numbers_checked_number"} <= names
        assert "numbers_checked_number" in doc["never_stored"]
        assert {"ring_remembered_number", "ring_call_audio"} <= set(doc["never_stored"])
        # Access-log lines keep the client's network as long as the rotated log files last.
        access = next(c for c in doc["categories"] if c["name"] == "access_log")
        assert access["retention_days"] == 7 and access["fields"][0].startswith("client network")
        assert "Server logs of web requests" in page.text
        assert doc["version"] in page.text and doc["last_updated"] in page.text
        numbers = (await client.get("/privacy.json", params={"service": "numbers"})).json()
        assert {c["service"] for c in numbers["categories"]} == {"platform", "numbers"}
        assert (await client.get("/numbers/privacy")).status_code == 200
        missing = await client.get("/privacy.json", params={"service": "nope"})
        assert missing.status_code == 404
        now = (await client.get("/privacy/now.json")).json()
        assert {r["category"] for r in now} >= {"audit_log", "consent_record"}
        assert (await client.get("/privacy/now")).status_code == 200


async def test_no_cookie_before_a_choice_and_consent_is_recorded(app: FastAPI) -> None:
    async with client_for(app) as client:
        page = await client.get("/numbers")
        assert page.cookies == httpx.Cookies() and "set-cookie" not in page.headers
        assert 'id="consent-banner"' in page.text
        resp = await client.post(
            "/privacy/consent", json={"choices": {"preferences": True}, "service": "numbers"}
        )
        assert resp.status_code == 200 and resp.json()["consent"]["preferences"] is True
        assert client.cookies.get("rf_consent") == "preferences:1.sale_sharing:0"
        assert client.cookies.get("rf_anon")
        bad = await client.post("/privacy/consent", json={"choices": {"tracking": True}})
        assert bad.status_code == 422 and "accepted: preferences" in bad.json()["error"]["message"]
        cross = await client.post(
            "/privacy/consent",
            json={"choices": {"preferences": True}},
            headers={"Origin": "https://evil.example"},
        )
        assert cross.status_code == 403
    records = await _consents(app)
    assert {(r.purpose, r.granted, r.method) for r in records} == {("preferences", True, "banner")}


async def test_global_privacy_control_is_an_opt_out_recorded_as_such(app: FastAPI) -> None:
    gpc = {"Sec-GPC": "1"}
    async with client_for(app) as client:
        resp = await client.post(
            "/privacy/consent", json={"choices": {"preferences": True}}, headers=gpc
        )
        assert resp.json() == {
            "consent": {"preferences": False, "sale_sharing": False},
            "gpc": True,
            "policy_version": resp.json()["policy_version"],
        }
        page = await client.get("/numbers", headers=gpc)
        assert 'data-gpc="1"' in page.text
    methods = {(r.purpose, r.granted, r.method) for r in await _consents(app)}
    assert ("sale_sharing", False, "gpc") in methods and ("preferences", False, "gpc") in methods
    assert not any(r.granted for r in await _consents(app))


async def test_gpc_is_recorded_once_for_a_known_visitor(app: FastAPI) -> None:
    async with client_for(app) as client:
        await client.post("/privacy/consent", json={"choices": {"preferences": True}})
        for _ in range(3):
            await client.get("/numbers", headers={"Sec-GPC": "1"})
    gpc_records = [r for r in await _consents(app) if r.method == "gpc"]
    assert {r.purpose for r in gpc_records} == {"preferences", "sale_sharing"}
    assert len(gpc_records) == 2


async def test_rights_request_flow_with_receipts_in_the_visitors_cookie(app: FastAPI) -> None:
    with capture_logs() as logs:
        anon_id = await _request_flow(app)
    assert anon_id not in repr(logs), "no subject id reaches a log"


async def _request_flow(app: FastAPI) -> str:
    async with client_for(app) as client:
        await client.post("/privacy/consent", json={"choices": {"preferences": True}})
        anon_id = str(client.cookies.get("rf_anon"))
        access = await client.post("/privacy/requests", json={"kind": "access"})
        assert access.status_code == 200
        body = access.json()
        records = body["export"]["data"]["consent_record"]["records"]
        assert records[0]["purpose"] == "preferences"
        assert body["answer_by"] > body["acknowledge_by"]
        receipt = await client.get(f"/privacy/requests/{body['request']}/receipt")
        assert receipt.status_code == 200 and receipt.json()["receipt"]["kind"] == "access"
        verified = await client.post("/privacy/receipts/verify", json=receipt.json())
        assert verified.json()["valid"] is True
        forged = {**receipt.json(), "receipt": {**receipt.json()["receipt"], "kind": "erase"}}
        assert (await client.post("/privacy/receipts/verify", json=forged)).json()["valid"] is False
        key = (await client.get("/privacy/receipt-key")).text
        assert key.startswith("-----BEGIN PUBLIC KEY-----")

        erase = await client.post("/privacy/requests", json={"kind": "erase"})
        assert erase.status_code == 200
        signed = json.loads(erase.json()["receipt"])
        assert verify_receipt(json.dumps(signed), app.state.privacy.signer.key.public_key())
        assert client.cookies.get("rf_anon") is None
        bad = await client.post("/privacy/requests", json={"kind": "forget"})
        assert bad.status_code == 422
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as stranger:
            other = await stranger.get(f"/privacy/requests/{body['request']}/receipt")
            assert other.status_code == 404
    assert await _consents(app) == []
    return anon_id
