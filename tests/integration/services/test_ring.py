"""ring through the API, with SIPp as the carrier and the phone on loopback."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
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
from tests.conftest import ENGINES, SettingsFactory
from tests.support.captcha import solved
from tests.support.server import free_port
from tests.support.sipp import SippRun, free_rtp_range, sipp_peer, start_sipp
from tests.support.web import client_for

pytestmark = pytest.mark.integration

LONDON = "020 7946 0958"  # national, typed as a person would
LONDON_E164 = "+442079460958"
Client = httpx.AsyncClient


def _settings(
    make_settings: SettingsFactory,
    database_url: str,
    carrier_port: int | None,
    caller_id: str | None = None,
    **ring: Any,
) -> Settings:
    low, high = free_rtp_range()
    telephony: dict[str, Any] = {
        "enabled": True,
        "sip_port": free_port(),
        "rtp_port_min": low,
        "rtp_port_max": high,
    }
    if carrier_port is not None:
        carrier = {
            "name": "sipp",
            "host": "127.0.0.1",
            "port": carrier_port,
            "caller_id": caller_id,
        }
        telephony["carriers"] = [carrier]
    else:  # no carrier at all: the built-in test phone switched off too
        telephony["test_phone"] = {"enabled": False}
    return make_settings(
        database_url=database_url,
        telephony=telephony,
        captcha={"max_number": 1000},
        ring={"message": "Ringfence test.", "ring_time": 5, **ring},
    )


@asynccontextmanager
async def ring_site(settings: Settings) -> AsyncIterator[tuple[Client, FastAPI]]:
    app = create_app(settings, run_workers=False)
    async with client_for(app) as client:
        yield client, app
        if getattr(app.state, "ring", None) is not None:
            await instance(app, RingService).wait_idle()


@asynccontextmanager
async def ring_app(settings: Settings) -> AsyncIterator[Client]:
    async with ring_site(settings) as (client, _):
        yield client


def _another_client(app: FastAPI) -> Client:
    """A second visitor (its own cookies, another address) on the same running app."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _reached(app: FastAPI, ring_id: str, state: str) -> None:
    """Wait for the ring to reach ``state`` (from the server's own progress of it)."""
    progress = instance(app, RingService).tracker.get(ring_id)
    assert progress is not None

    async def wait() -> None:
        async for step in progress.follow():
            if step["state"] == state:
                return
            assert step["state"] != "ended", progress.steps

    await asyncio.wait_for(wait(), 120)  # a bound for a broken test, not a timing assertion


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


async def test_the_page_and_the_call_say_which_number_calls(
    make_settings: SettingsFactory, database_url: str
) -> None:
    """The caller ID is the trunk's (as the operator set it), said as people write it before
    the ring (the page, the live check) and during it (the ring's answer and its first step),
    and it is what the phone receives in From."""
    async with sipp_peer("uas") as sipp:
        settings = _settings(make_settings, database_url, sipp.port, caller_id="+442079460123")
        async with ring_app(settings) as client:
            page = (await client.get("/ring")).text
            check = await client.post("/api/ring/check", json={"number": LONDON, "country": "GB"})
            response = await _ring(client)
            assert response.status_code == 202, response.text
            steps = await _follow(client, response.json()["id"])
    assert 'Your phone will ring from <strong class="number">+44 20 7946 0123</strong>' in page
    assert check.json()["calling_from"] == "+44 20 7946 0123"
    assert response.json()["calling_from"] == "+44 20 7946 0123"
    assert steps[0] == {
        "id": response.json()["id"],
        "state": "dialling",
        "calling_from": "+44 20 7946 0123",
        "rings_for": 5.0,
    }
    text = sipp.messages.read_text(errors="replace")
    assert "From: <sip:+442079460123@" in text or "From: sip:+442079460123@" in text


async def test_a_withheld_caller_id_and_the_default_installs_own_number(
    make_settings: SettingsFactory, database_url: str
) -> None:
    withheld = _settings(make_settings, database_url, free_port())
    async with ring_app(withheld) as client:
        page = (await client.get("/ring")).text
        check = await client.post("/api/ring/check", json={"number": LONDON, "country": "GB"})
    assert "Your phone will ring from a withheld number (no caller ID)." in page
    assert check.json()["ok"] is True and check.json()["calling_from"] is None

    # A default install: the built-in test phone is the trunk, and it shows the server's number.
    async with ring_app(make_settings(database_url=database_url)) as client:
        page = (await client.get("/ring")).text
        test_phone = {"number": "0113 496 0123", "country": "GB"}
        check = (await client.post("/api/ring/check", json=test_phone)).json()
    assert 'Your phone will ring from <strong class="number">+44 113 496 0000</strong>' in page
    assert check["ok"] is True and check["calling_from"] == "+44 113 496 0000"


@ENGINES
async def test_cancel_while_ringing_sends_cancel_for_the_asking_page_only(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with sipp_peer("uas_ring_forever", limit="150s") as phone:
        settings = _settings(make_settings, database_url, phone.port, ring_time=100)
        async with ring_site(settings) as (client, app):
            started = await _ring(client)
            assert started.status_code == 202, started.text
            ring_id, token = started.json()["id"], started.json()["cancel"]
            assert len(token) >= 40
            await _reached(app, ring_id, "ringing")

            async with _another_client(app) as stranger:
                guessed = await stranger.post(
                    f"/api/ring/{ring_id}/cancel", json={"token": "x" * 43}
                )
                assert guessed.status_code == 403
                assert (
                    "only the page that asked for this ring" in guessed.json()["error"]["message"]
                )
                unknown = await stranger.post("/api/ring/nosuchring/cancel", json={"token": token})
                assert (
                    unknown.status_code == 404 and "no ring" in unknown.json()["error"]["message"]
                )
            wrong = await client.post(f"/api/ring/{ring_id}/cancel", json={"token": token[:-1]})
            assert wrong.status_code == 403  # the asking visitor too needs the token itself
            assert instance(app, RingService).tracker.get(ring_id).steps[-1]["state"] == "ringing"

            cancelled = await client.post(f"/api/ring/{ring_id}/cancel", json={"token": token})
            assert cancelled.status_code == 200, cancelled.text
            steps = await _follow(client, ring_id)
            again = await client.post(f"/api/ring/{ring_id}/cancel", json={"token": token})
            assert again.status_code == 409 and "already ended" in again.json()["error"]["message"]
            too_long = await client.post(f"/api/ring/{ring_id}/cancel", json={"token": "x" * 500})
            assert too_long.status_code == 422
    assert [s["state"] for s in steps] == ["dialling", "ringing", "ended"]
    assert steps[-1]["outcome"] == "cancelled"
    assert "CANCEL sip:" in phone.messages.read_text(errors="replace")  # SIPp saw it (and exit 0)
    (entry,) = await _rows(database_url, RingLog)
    assert entry.outcome == "cancelled" and entry.ended_at is not None


async def test_cancel_after_answer_hangs_up_with_bye(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with sipp_peer("uas") as phone:  # answers, then waits for our BYE
        async with ring_site(_settings(make_settings, database_url, phone.port)) as (client, app):
            started = (await _ring(client)).json()
            await _reached(app, started["id"], "answered")
            cancelled = await client.post(
                f"/api/ring/{started['id']}/cancel", json={"token": started["cancel"]}
            )
            assert cancelled.status_code == 200, cancelled.text
            steps = await _follow(client, started["id"])
    assert steps[-1]["outcome"] == "cancelled" and steps[-1]["opted_out"] is False
    assert "BYE sip:" in phone.messages.read_text(errors="replace")


async def test_ring_until_pickup_rings_past_ring_time_up_to_the_cap_and_is_still_limited(
    make_settings: SettingsFactory, database_url: str
) -> None:
    ring_time, cap = 2.0, 8.0
    async with sipp_peer("uas_ring_forever", limit="150s") as phone:
        settings = _settings(
            make_settings,
            database_url,
            phone.port,
            ring_time=ring_time,
            until_pickup_max=cap,
            per_number_per_hour=1,
            cooldown=0,
        )
        async with ring_app(settings) as client:
            asked = time.monotonic()
            body = {"number": LONDON, "country": "GB", "captcha": await solved(client)}
            started = await client.post("/api/ring", json={**body, "until_pickup": True})
            assert started.status_code == 202, started.text
            steps = await _follow(client, started.json()["id"])
            rang_for = time.monotonic() - asked
            again = await _ring(client)  # counted like any ring: this number's hour is used up
    assert started.json()["rings_for"] == cap and steps[0]["rings_for"] == cap
    assert [s["state"] for s in steps] == ["dialling", "ringing", "ended"]
    assert steps[-1]["outcome"] == "no_answer"  # our own CANCEL at the cap (SIPp checks it)
    assert rang_for >= cap > ring_time  # it kept ringing past the normal ring time
    assert again.status_code == 429 and "rung 1 times in the last hour" in again.text
