"""ring through the API, with SIPp as the carrier and the phone on loopback."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ringfence.abuse.models import RateHit
from ringfence.http.instances import instance
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import anon_ref, phone_ref
from ringfence.services.ring.models import DenylistEntry, RingLog
from ringfence.services.ring.service import RingService
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.telephony.models import CallRecord
from ringfence.testing import FakeClock
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.captcha import solved
from tests.support.server import free_port
from tests.support.sipp import SippRun, free_rtp_range, sipp_peer, start_sipp
from tests.support.web import client_for

pytestmark = pytest.mark.integration

LONDON = "020 7946 0958"  # national, typed as a person would
LONDON_E164 = "+442079460958"
Client = httpx.AsyncClient


def _settings(
    make_settings: SettingsFactory, database_url: str, carrier_port: int | None, **ring: Any
) -> Settings:
    low, high = free_rtp_range()
    telephony: dict[str, Any] = {
        "enabled": True,
        "sip_port": free_port(),
        "rtp_port_min": low,
        "rtp_port_max": high,
    }
    if carrier_port is not None:
        telephony["carriers"] = [{"name": "sipp", "host": "127.0.0.1", "port": carrier_port}]
    else:  # no carrier at all: the built-in test phone switched off too
        telephony["test_phone"] = {"enabled": False}
    return make_settings(
        database_url=database_url,
        telephony=telephony,
        captcha={"max_number": 1000},
        ring={"message": "Ringfence test.", "ring_time": 5, **ring},
    )


@asynccontextmanager
async def ring_app(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(settings, run_workers=False)
    async with client_for(app) as client:
        yield client
        if getattr(app.state, "ring", None) is not None:
            await instance(app, RingService).wait_idle()


async def _ring(client: Client, number: str = LONDON, country: str = "GB") -> httpx.Response:
    body = {"number": number, "country": country, "captcha": await solved(client)}
    return await client.post("/api/ring", json=body)


async def _follow(client: Client, ring_id: str) -> list[dict[str, Any]]:
    """Every state of the ring, from its event stream (which ends when the call does)."""
    response = await client.get(f"/api/ring/{ring_id}/events")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return [
        json.loads(line.removeprefix("data: "))
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]


def _invites(sipp: SippRun) -> list[str]:
    text = sipp.messages.read_text(errors="replace") if sipp.messages.exists() else ""
    return [line.strip() for line in text.splitlines() if line.strip().startswith("INVITE sip:")]


async def _rows(db_url: str, model: type[Any]) -> list[Any]:
    db = Database(db_url)
    try:
        async with db.session() as session:
            return list((await session.scalars(select(model))).all())
    finally:
        await db.dispose()


async def test_a_ring_reaches_the_number_in_e164_and_keeps_no_number(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with sipp_peer("uas") as sipp:
        async with ring_app(_settings(make_settings, database_url, sipp.port)) as client:
            response = await _ring(client)
            assert response.status_code == 202, response.text
            steps = await _follow(client, response.json()["id"])
            status = (await client.get(f"/api/ring/{response.json()['id']}")).json()
    assert [s["state"] for s in steps] == ["dialling", "ringing", "answered", "ended"]
    assert steps[-1]["outcome"] == "answered" and steps[-1]["opted_out"] is False
    assert status["state"] == "ended" and status["outcome"] == "answered"
    assert _invites(sipp)[0].startswith(f"INVITE sip:{LONDON_E164}@127.0.0.1")
    (entry,) = await _rows(database_url, RingLog)
    assert entry.kind == "ring" and entry.outcome == "answered" and entry.ended_at is not None
    assert entry.number_tail.endswith("58") and "2079460958" not in entry.number_tail
    stored = [
        json.dumps([str(v) for v in vars(row).values()])
        for model in (RingLog, RateHit, CallRecord)
        for row in await _rows(database_url, model)
    ]
    assert stored and not any("2079460958" in text or "203.0.113.7" in text for text in stored)


async def test_pressing_9_puts_the_number_on_the_never_ring_list(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with sipp_peer("uas_press", fill={"digit": "9", "wait_ms": "800"}) as phone:
        settings = _settings(make_settings, database_url, phone.port)
        async with ring_app(settings) as client:
            response = await _ring(client)
            assert response.status_code == 202, response.text
            steps = await _follow(client, response.json()["id"])
    assert steps[-1] == {"id": response.json()["id"], "state": "ended", "outcome": "answered",
                         "opted_out": True}  # fmt: skip
    (entry,) = await _rows(database_url, DenylistEntry)
    assert entry.method == "keypress"
    assert entry.number_ref == phone_ref(LONDON_E164, settings.signing_key())

    # The number is refused before anything is dialled: the carrier never sees an INVITE.
    carrier = await start_sipp("uas")
    try:
        settings = _settings(make_settings, database_url, carrier.port)
        async with ring_app(settings) as client:
            refused = await _ring(client, "+44 20 7946 0958", "US")
    finally:
        await carrier.kill()
    assert refused.status_code == 403
    assert "asked never to be rung" in refused.json()["error"]["message"]
    assert _invites(carrier) == []


async def test_the_owner_joins_the_never_ring_list_by_typing_the_code(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with ring_app(_settings(make_settings, database_url, None)) as client:
        missing = await client.post(
            "/api/ring/optout", json={"number": LONDON, "country": "GB", "captcha": "x"}
        )
    assert missing.status_code == 503 and "no phone carrier" in missing.json()["error"]["message"]

    sipp_port = free_port()
    settings = _settings(make_settings, database_url, sipp_port)
    async with ring_app(settings) as client:
        body = {"number": LONDON, "country": "GB", "captcha": await solved(client)}
        asked = await client.post("/api/ring/optout", json=body)
        assert asked.status_code == 200, asked.text
        code, token = asked.json()["code"], asked.json()["token"]
        assert len(code) == 4 and code.isdigit() and asked.json()["number"] == "+44 20 7946 0958"
        assert LONDON_E164 not in token and "2079460958" not in token  # sealed, not readable
        digits = {f"d{i + 1}": digit for i, digit in enumerate(code)}
        phone = await start_sipp("uas_type_code", fill={**digits, "wait_ms": "300"}, port=sipp_port)
        try:
            called = await client.post("/api/ring/optout/call", json={"token": token})
            assert called.status_code == 202, called.text
            steps = await _follow(client, called.json()["id"])
            rc, out = await phone.finish()
            assert rc == 0, out
        finally:
            await phone.kill()
        again = await client.post("/api/ring/optout/call", json={"token": token})
        assert again.status_code == 403 and "already been used" in again.json()["error"]["message"]
        tampered = await client.post("/api/ring/optout/call", json={"token": token[:-4] + "AAAA"})
        assert tampered.status_code == 403
    assert steps[-1]["state"] == "ended" and steps[-1]["opted_out"] is True
    (entry,) = await _rows(database_url, DenylistEntry)
    assert entry.method == "code"
    kinds = sorted(row.kind for row in await _rows(database_url, RingLog))
    assert kinds == ["optout"]


async def test_a_wrong_code_adds_nothing(make_settings: SettingsFactory, database_url: str) -> None:
    sipp_port = free_port()
    settings = _settings(make_settings, database_url, sipp_port, code_attempts=1)
    async with ring_app(settings) as client:
        body = {"number": LONDON, "country": "GB", "captcha": await solved(client)}
        asked = (await client.post("/api/ring/optout", json=body)).json()
        wrong = "".join(str((int(d) + 1) % 10) for d in asked["code"])
        fill = {f"d{i + 1}": digit for i, digit in enumerate(wrong)}
        phone = await start_sipp("uas_type_code", fill={**fill, "wait_ms": "300"}, port=sipp_port)
        try:
            called = await client.post("/api/ring/optout/call", json={"token": asked["token"]})
            steps = await _follow(client, called.json()["id"])
            rc, out = await phone.finish()
            assert rc == 0, out
        finally:
            await phone.kill()
    assert steps[-1]["opted_out"] is False
    assert await _rows(database_url, DenylistEntry) == []


async def test_each_limit_refuses_with_its_message(
    make_settings: SettingsFactory, database_url: str
) -> None:
    limits = {"per_number_per_hour": 3, "per_visitor_per_day": 4, "per_ip_per_day": 5}
    async with sipp_peer("uas_reject", fill={"status": "486"}, calls=5) as busy:
        settings = _settings(make_settings, database_url, busy.port, cooldown=0, **limits)
        async with ring_app(settings) as client:
            for _ in range(3):
                placed = await _ring(client)
                assert placed.status_code == 202, placed.text
                assert (await _follow(client, placed.json()["id"]))[-1]["outcome"] == "busy"
            fourth = await _ring(client)
            assert fourth.status_code == 429
            assert "rung 3 times in the last hour: try again in" in fourth.text
            assert (await _ring(client, "+1 201 555 0123", "US")).status_code == 202
            by_visitor = await _ring(client, "+1 201 555 0124", "US")
            assert by_visitor.status_code == 429
            assert "you have asked for 4 rings today" in by_visitor.text
            client.cookies.clear()  # a new visitor id, the same IP address
            assert (await _ring(client, "+1 201 555 0125", "US")).status_code == 202
            client.cookies.clear()
            by_ip = await _ring(client, "+1 201 555 0126", "US")
            assert by_ip.status_code == 429
            assert "5 rings have been asked from your network today" in by_ip.text
    assert len(_invites(busy)) == 5


async def test_cooldown_replayed_captcha_and_refused_numbers(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with sipp_peer("uas_reject", fill={"status": "486"}) as busy:
        async with ring_app(_settings(make_settings, database_url, busy.port)) as client:
            captcha = await solved(client)
            body = {"number": LONDON, "country": "GB", "captcha": captcha}
            first = await client.post("/api/ring", json=body)
            assert first.status_code == 202, first.text
            await _follow(client, first.json()["id"])
            replay = await client.post(
                "/api/ring", json={**body, "number": "+1 201 555 0123", "country": "US"}
            )
            assert replay.status_code == 403 and "already used" in replay.text
            soon = await _ring(client)
            assert soon.status_code == 429
            assert "this number was just rung: try again in" in soon.text
            refusals = {
                ("911", "US"): (403, "emergency numbers"),
                ("112", "GB"): (403, "emergency numbers"),
                ("+1 900 555 0100", None): (403, "premium-rate"),
                ("0800 123 4567", "GB"): (403, "calls phones only"),
                ("+53 5 1234567", None): (403, "calls to CU are not enabled"),
                ("+44 20 7946", None): (422, "not a number in use"),
                ("phone", "GB"): (422, "not a phone number"),
            }
            for (number, country), (status, text) in refusals.items():
                response = await _ring(client, number, country or "")
                assert response.status_code == status, (number, response.text)
                assert text in response.json()["error"]["message"], number
            no_captcha = await client.post("/api/ring", json={**body, "captcha": ""})
            assert no_captcha.status_code == 422 and "solve the captcha" in no_captcha.text
    assert len(_invites(busy)) == 1


async def test_without_a_carrier_the_page_says_ringing_is_not_set_up(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(
        database_url=database_url, telephony={"test_phone": {"enabled": False}}
    )
    async with client_for(create_app(settings, run_workers=False)) as client:
        page = await client.get("/ring")
        response = await client.post(
            "/api/ring", json={"number": LONDON, "country": "GB", "captcha": "x"}
        )
        check = (await client.post("/api/ring/check", json={"number": LONDON})).json()
        typed = await client.post("/api/ring/check", json={"number": "0207946", "country": "GB"})
    assert page.status_code == 200 and "Ringing is not set up on this server" in page.text
    assert 'id="ring-button" disabled' in page.text and "rf_anon" in page.headers["set-cookie"]
    assert response.status_code == 503
    assert "not set up" in response.json()["error"]["message"]
    assert check["ok"] is False and "choose a country" in check["error"]
    assert typed.json()["formatted"] == "020 7946"


async def test_the_country_is_preset_from_the_ip_behind_a_trusted_proxy(
    make_settings: SettingsFactory, database_url: str
) -> None:
    def page_country(settings: Settings) -> Callable[[str], Any]:
        async def get(ip: str) -> str:
            async with client_for(create_app(settings, run_workers=False)) as client:
                text = (await client.get("/ring", headers={"X-Forwarded-For": ip})).text
            selected = text.split(" selected>")[0].rsplit('value="', 1)[1]
            return selected.split('"')[0]

        return get

    trusting = page_country(
        make_settings(database_url=database_url, web={"trusted_proxies": ["203.0.113.7"]})
    )
    assert await trusting("81.2.69.142") == "GB"
    assert await trusting("176.9.0.1") == "DE"
    assert await trusting("10.0.0.1") == "US"  # private: the operator's default
    untrusting = page_country(make_settings(database_url=database_url))
    assert await untrusting("81.2.69.142") == "US"  # a header from an untrusted peer is ignored


async def test_the_ring_log_is_exported_to_its_visitor_and_swept_after_seven_days(
    make_settings: SettingsFactory, database_url: str
) -> None:
    busy = await start_sipp("uas_reject", fill={"status": "486"})
    settings = _settings(make_settings, database_url, busy.port)
    try:
        async with ring_app(settings) as client:
            placed = await _ring(client)
            assert placed.status_code == 202, placed.text
            await _follow(client, placed.json()["id"])
            visitor = client.cookies["rf_anon"]
    finally:
        await busy.kill()
    db = Database(database_url)
    try:
        later = FakeClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
        privacy = Privacy(settings, db, later)
        async with db.session() as session:
            export = await privacy.rights("test").export(session, anon_ref(visitor))
            other = await privacy.rights("test").export(session, anon_ref("x" * 32))
        (logged,) = export["data"]["ring_log"]["records"]
        assert logged["id"] == placed.json()["id"] and logged["outcome"] == "busy"
        assert other["data"] == {}
        swept = await privacy.sweeper().sweep()  # 3 days on: rate counters (2 days) go
        assert swept.counts["abuse_rate_counter"] == 4 and swept.counts["ring_log"] == 0
        later.advance(days=5)
        assert (await privacy.sweeper().sweep()).counts["ring_log"] == 1
    finally:
        await db.dispose()
    assert await _rows(database_url, RingLog) == []
