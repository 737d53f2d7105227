"""dial end to end without a browser: an aiortc peer plays the browser, SIPp the carrier that
answers and echoes the audio back; the exact charge is settled at hang-up."""

from __future__ import annotations

import asyncio
import datetime as dt
import fractions
import json
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from sqlalchemy import select

from ringfence.accounts.models import Account
from ringfence.billing.rates import RateTable
from ringfence.http.instances import instance
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import phone_ref
from ringfence.services.dial.models import DialCall
from ringfence.services.dial.service import DialService
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.testing import FakeClock
from ringfence.web.app import create_app
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import verified_login
from tests.support.mail import smtp_server
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, sipp_peer
from tests.support.stripe import event, paid, sign
from tests.support.web import serving

pytestmark = pytest.mark.integration
RATES = """prefix,price_per_minute,increment,connection_fee,currency,name
44,60,1/1,10,EUR,United Kingdom
1,6,60/60,0,EUR,North America
"""


class Tone(MediaStreamTrack):
    """A 440 Hz microphone at real-time pace."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.pts = 0
        self.start = 0.0

    async def recv(self) -> av.AudioFrame:
        if not self.start:
            self.start = time.monotonic()
        delay = self.start + self.pts / 48000 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # a real-time source paces itself
        t = (np.arange(self.pts, self.pts + 960) / 48000).astype(np.float64)
        samples = (9000 * np.sin(2 * math.pi * 440 * t)).astype("<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = (
            48000,
            self.pts,
            fractions.Fraction(1, 48000),
        )
        self.pts += 960
        return frame


def _settings(
    make_settings: SettingsFactory,
    database_url: str,
    tmp_path: Path,
    carrier: int,
    mail: int,
    low_balance: int = 200,
) -> Settings:
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    low, high = free_rtp_range()
    return make_settings(
        database_url=database_url,
        telephony={
            "enabled": True,
            "sip_port": free_port(),
            "rtp_port_min": low,
            "rtp_port_max": high,
            "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": carrier}],
        },
        billing={
            "rates_file": str(rates),
            "stripe_webhook_secret": "whsec_test_" + "x" * 24,
            "low_balance": low_balance,
        },
        mail={"smtp_host": "127.0.0.1", "smtp_port": mail, "starttls": False},
        web={"public_url": "http://testserver"},
    )


@asynccontextmanager
async def logged_in(
    base: str, inbox: Any, database_url: str, credit: int = 500
) -> AsyncIterator[tuple[httpx.AsyncClient, str, str]]:
    """A signed-up, verified, logged-in client, credited (5.00 EUR) by a signed webhook."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        original = client.get

        async def get(url: str, **kw: Any) -> httpx.Response:  # the mailed links name testserver
            return await original(url.replace("http://testserver", ""), **kw)

        client.get = get  # type: ignore[method-assign]
        csrf = await verified_login(client, inbox)
        assert (await client.get("/api/billing/balance")).json() == {
            "currency": "EUR",
            "balance": 0,
        }
        db = Database(database_url)
        try:
            async with db.session() as session:
                account = str(await session.scalar(select(Account.id)))
        finally:
            await db.dispose()
        payload = event("checkout.session.completed", paid(account, credit))
        credited = await client.post(
            "/api/billing/stripe/webhook",
            content=payload,
            headers={"Stripe-Signature": sign(payload)},
        )
        assert credited.json() == {"result": "credited"}
        yield client, csrf, account


async def _events(
    client: httpx.AsyncClient,
    call_id: str,
    seen: list[dict[str, Any]],
    answered: asyncio.Event | None = None,
) -> None:
    async with client.stream("GET", f"/api/dial/calls/{call_id}/events") as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
                if answered is not None and seen[-1]["state"] == "answered":
                    answered.set()


async def test_a_browser_call_is_bridged_echoed_and_charged_exactly(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, mail_port):
        async with sipp_peer("uas", extra=["-rtp_echo"]) as carrier:
            settings = _settings(make_settings, database_url, tmp_path, carrier.port, mail_port)
            app = create_app(settings, run_workers=False)
            async with (
                serving(app) as base,
                logged_in(base, inbox, database_url) as (client, csrf, account),
            ):
                quote = await client.post(
                    "/api/dial/quote", json={"number": "020 7946 0958", "country": "GB"}
                )
                assert quote.json()["max_seconds"] == (500 - 10) * 60 // 60  # 1/1 billing
                browser = RTCPeerConnection()
                browser.addTrack(Tone())
                heard: list[float] = []
                listeners: list[asyncio.Task[None]] = []

                @browser.on("track")
                def on_track(track: MediaStreamTrack) -> None:
                    async def listen() -> None:
                        while True:
                            frame = await track.recv()
                            pcm = frame.to_ndarray().astype(np.float64)
                            heard.append(float(np.sqrt(np.mean(pcm**2))))

                    listeners.append(asyncio.ensure_future(listen()))

                await browser.setLocalDescription(await browser.createOffer())
                body = {"number": "020 7946 0958", "country": "GB",
                        "sdp": browser.localDescription.sdp}  # fmt: skip
                forged = await client.post("/api/dial/calls", json=body)
                assert forged.status_code == 403 and "X-CSRF-Token" in forged.text
                placed = await client.post(
                    "/api/dial/calls", json=body, headers={"X-CSRF-Token": csrf}
                )
                assert placed.status_code == 201, placed.text
                call_id = placed.json()["id"]
                await browser.setRemoteDescription(
                    RTCSessionDescription(placed.json()["sdp"], "answer")
                )
                # Another account that learns the call's id can neither follow nor steer it.
                async with httpx.AsyncClient(base_url=base, timeout=30) as eve:
                    eve_token = {"X-CSRF-Token": await verified_login(eve, inbox, "eve@x.org")}
                    probes = [
                        await eve.get(f"/api/dial/calls/{call_id}/events"),
                        await eve.post(f"/api/dial/calls/{call_id}/hangup", headers=eve_token),
                        await eve.post(
                            f"/api/dial/calls/{call_id}/dtmf",
                            json={"digit": "1"},
                            headers=eve_token,
                        ),
                    ]
                    assert all(r.status_code in (403, 404) for r in probes), probes
                seen: list[dict[str, Any]] = []
                watcher = asyncio.create_task(_events(client, call_id, seen))
                for _ in range(200):  # the tone, through the bridge, SIPp's echo and back
                    if sum(1 for level in heard if level > 1000) >= 25:
                        break
                    await asyncio.sleep(0.05)
                assert sum(1 for level in heard if level > 1000) >= 25
                hung = await client.post(
                    f"/api/dial/calls/{call_id}/hangup", headers={"X-CSRF-Token": csrf}
                )
                assert hung.json() == {"ok": True}
                await asyncio.wait_for(watcher, 15)
                await browser.close()
                balance = (await client.get("/api/billing/balance")).json()["balance"]
                history = (await client.get("/api/dial/history")).json()["calls"]
                csv_text = (await client.get("/api/dial/history?format=csv")).text
                await instance(app, DialService).wait_idle()
    states = [s["state"] for s in seen]
    assert states[:1] == ["dialling"] and "answered" in states and states[-1] == "ended"
    ended = seen[-1]
    rate = RateTable.from_csv(RATES).lookup("+442079460958")
    (row,) = history
    assert row["number"] == "+442079460958" and row["status"] == "answered"
    assert ended["cost"] == row["cost"] == rate.charge(row["duration"]) > 10
    assert balance == 500 - row["cost"]
    assert "+442079460958" in csv_text and csv_text.startswith("started_at,number,status")
    assert "INVITE sip:+442079460958@" in carrier.messages.read_text(errors="replace")
    db = Database(database_url)
    try:
        async with db.session() as session:
            stored = (await session.scalars(select(DialCall))).one()
        assert b"2079460958" not in stored.number and stored.number_tail.endswith("58")
        year_on = FakeClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=366))
        swept = await Privacy(settings, db, year_on).sweeper().sweep()
        assert swept.counts["dial_call"] == 1  # the history's 12 months are over
    finally:
        await db.dispose()


@ENGINES
async def test_the_call_is_cut_when_the_credit_runs_out_and_deletion_keeps_payments(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    with smtp_server() as (inbox, mail_port):
        async with sipp_peer("uas", extra=["-rtp_echo"]) as carrier:
            # Told by e-mail below 0.10: the 0.16 bought arm it, the call spends it all.
            settings = _settings(
                make_settings, database_url, tmp_path, carrier.port, mail_port, low_balance=10
            )
            app = create_app(settings, run_workers=False)
            async with (
                serving(app) as base,
                logged_in(base, inbox, database_url, credit=16) as (client, csrf, account),
            ):
                quote = await client.post("/api/dial/quote", json={"number": "+442079460958"})
                assert quote.json()["max_seconds"] == 6  # 0.10 to connect, then 0.01 a second
                refused = await client.post("/api/dial/quote", json={"number": "+1 900 555 0100"})
                assert refused.status_code == 403 and "premium-rate" in refused.text
                browser = RTCPeerConnection()
                browser.addTrack(Tone())
                await browser.setLocalDescription(await browser.createOffer())
                body = {"number": "+442079460958", "sdp": browser.localDescription.sdp}
                placed = await client.post(
                    "/api/dial/calls", json=body, headers={"X-CSRF-Token": csrf}
                )
                call_id = placed.json()["id"]
                await browser.setRemoteDescription(
                    RTCSessionDescription(placed.json()["sdp"], "answer")
                )
                # A second call while the first holds every cent is refused, before any INVITE.
                second = await client.post(
                    "/api/dial/calls", json=body, headers={"X-CSRF-Token": csrf}
                )
                assert second.status_code == 402 and "not enough credit" in second.text
                seen: list[dict[str, Any]] = []
                answered = asyncio.Event()
                watcher = asyncio.create_task(_events(client, call_id, seen, answered))
                await asyncio.wait_for(answered.wait(), 15)
                pressed = await client.post(
                    f"/api/dial/calls/{call_id}/dtmf",
                    json={"digit": "5"},
                    headers={"X-CSRF-Token": csrf},
                )
                assert pressed.json() == {"ok": True}
                bad = await client.post(
                    f"/api/dial/calls/{call_id}/dtmf",
                    json={"digit": "x"},
                    headers={"X-CSRF-Token": csrf},
                )
                assert bad.status_code == 403
                await asyncio.wait_for(watcher, 20)  # nobody hangs up: the credit does
                await browser.close()
                assert (await client.get("/api/billing/balance")).json()["balance"] >= 0
                await instance(app, DialService).wait_idle()
                low = await inbox.next()
                assert "credit is low" in low["Subject"] and inbox.empty()
                assert "0.00 EUR" in low.get_payload(decode=True).decode()
                db = Database(database_url)
                try:
                    async with db.session() as session:
                        exported = await app.state.privacy.rights("v").export(
                            session, f"account:{account}"
                        )
                    rung = phone_ref("+442079460958", settings.signing_key())
                    async with db.session() as session:
                        rights = app.state.privacy.rights("v")
                        holder = await rights.export(session, rung)
                        unlinked, _ = await rights.erase(session, rung)
                    async with db.session() as session:
                        after = await rights.export(session, rung)
                        kept = await rights.export(session, f"account:{account}")
                finally:
                    await db.dispose()
                page = (await client.get("/account")).text
                token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
                deleted = await client.post(
                    "/account/delete", data={"csrf": token, "password": "correct horse battery"}
                )
    ended = seen[-1]
    assert ended["reason"] == "max_duration" and 5.5 < ended["seconds"] < 8
    assert ended["cost"] == 16  # all that was reserved, never more
    (history,) = exported["data"]["dial_call"]["records"]
    assert history["number"] == "+442079460958" and history["cost"] == 16
    # The rung number's holder (a phone-proved request) sees the fact and time of the call,
    # not who placed it, its price or the caller's copy of the number.
    (call,) = holder["data"]["dial_call_to_number"]["records"]
    assert sorted(call) == ["answered_at", "duration", "started_at", "status"]
    assert call["started_at"] == history["started_at"] and call["status"] == history["status"]
    assert account not in json.dumps(holder) and "cost" not in json.dumps(call)
    # Their erasure unlinks the call from their number; the caller's history keeps it.
    assert {"action": "unlinked", "category": "dial_call_to_number", "records": 1} in unlinked
    assert "dial_call_to_number" not in after["data"]
    (still,) = kept["data"]["dial_call"]["records"]
    assert still["number"] == "+442079460958" and still["callee_ref"] is None
    # Said by the categories' titles: Payments and Credit movements are kept by law.
    assert "Kept: Payments (" in deleted.text and "Kept: Credit movements (" in deleted.text
    assert "Deleted: Your call history" in deleted.text and "Deleted: Your account" in deleted.text
    assert carrier.messages.read_text(errors="replace").count("INVITE sip:") == 1


async def test_an_account_verifies_its_own_number_and_shows_it(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    """The page shows a code; the call to the number asks for it; typed on the keypad (SIP
    INFO from SIPp), the number becomes a caller id the next call presents in From."""
    phone_port = free_port()
    with smtp_server() as (inbox, mail_port):
        settings = _settings(make_settings, database_url, tmp_path, phone_port, mail_port)
        app = create_app(settings, run_workers=False)
        async with (
            serving(app) as base,
            logged_in(base, inbox, database_url) as (client, csrf, _),
        ):
            headers = {"X-CSRF-Token": csrf}
            premium = await client.post(
                "/api/dial/caller-ids", json={"number": "+1 900 555 0100"}, headers=headers
            )
            assert premium.status_code == 403
            offer = await client.post(
                "/api/dial/caller-ids", json={"number": "+44 7400 123456"}, headers=headers
            )
            token, code = offer.json()["token"], offer.json()["code"]
            digits = {f"d{i + 1}": d for i, d in enumerate(code)}
            async with sipp_peer(
                "uas_type_code", fill={**digits, "wait_ms": "300"}, port=phone_port
            ):
                placed = await client.post(
                    "/api/dial/caller-ids/call", json={"token": token}, headers=headers
                )
                assert placed.status_code == 202, placed.text
                seen: list[dict[str, Any]] = []
                await asyncio.wait_for(_events(client, placed.json()["id"], seen), 30)
            assert seen[-1]["outcome"] == "verified"
            reused = await client.post(
                "/api/dial/caller-ids/call", json={"token": token}, headers=headers
            )
            assert reused.status_code == 403 and "already been used" in reused.text
            (mine,) = (await client.get("/api/dial/caller-ids")).json()["caller_ids"]
            assert mine["number"] == "+447400123456"
            await instance(app, DialService).wait_idle()

            browser = RTCPeerConnection()
            browser.addTrack(Tone())
            await browser.setLocalDescription(await browser.createOffer())
            body = {"number": "+442079460958", "sdp": browser.localDescription.sdp}
            forged = await client.post(
                "/api/dial/calls", json={**body, "caller_id": "nope"}, headers=headers
            )
            assert forged.status_code == 403 and "not one of your verified" in forged.text
            async with sipp_peer("uas", port=phone_port) as carrier:
                placed = await client.post(
                    "/api/dial/calls", json={**body, "caller_id": mine["id"]}, headers=headers
                )
                assert placed.status_code == 201, placed.text
                await browser.setRemoteDescription(
                    RTCSessionDescription(placed.json()["sdp"], "answer")
                )
                seen = []
                answered = asyncio.Event()
                watcher = asyncio.create_task(_events(client, placed.json()["id"], seen, answered))
                await asyncio.wait_for(answered.wait(), 15)
                await client.post(f"/api/dial/calls/{placed.json()['id']}/hangup", headers=headers)
                await asyncio.wait_for(watcher, 15)
            await browser.close()
            await instance(app, DialService).wait_idle()
    invite = carrier.messages.read_text(errors="replace")
    assert "From: <sip:+447400123456@" in invite
