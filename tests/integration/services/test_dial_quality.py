"""A dial call's quality, end to end without a browser (an aiortc peer plays it, SIPp the
carrier echoing the audio): the page's figures and the RTP leg's are rated and kept beside the
call, exported with the account's call records, swept with them after 12 months and erased
with the account; figures that cannot be are refused. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from sqlalchemy import func, select

from ringfence.http.instances import instance
from ringfence.privacy.core import Privacy
from ringfence.services.dial.call_quality import DialCallQuality
from ringfence.services.dial.service import DialService
from ringfence.store import Database
from ringfence.testing import FakeClock
from ringfence.web.app import create_app
from tests.conftest import ENGINES, SettingsFactory
from tests.integration.services.test_dial import Tone, _events, _settings, logged_in
from tests.support.mail import smtp_server
from tests.support.sipp import sipp_peer
from tests.support.web import serving

pytestmark = pytest.mark.integration


async def _count(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(DialCallQuality)) or 0)


@ENGINES
async def test_a_calls_quality_is_kept_exported_swept_and_erased_with_it(
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
                headers = {"X-CSRF-Token": csrf}
                browser = RTCPeerConnection()
                browser.addTrack(Tone())
                echoed = asyncio.Event()  # the tone came back: the RTP leg carries audio
                listeners: list[asyncio.Task[None]] = []

                @browser.on("track")
                def on_track(track: MediaStreamTrack) -> None:
                    async def listen() -> None:
                        loud = 0
                        while not echoed.is_set():
                            pcm = (await track.recv()).to_ndarray().astype(np.float64)
                            loud += float(np.sqrt(np.mean(pcm**2))) > 1000
                            if loud >= 25:
                                echoed.set()

                    listeners.append(asyncio.ensure_future(listen()))

                await browser.setLocalDescription(await browser.createOffer())
                body = {"number": "+442079460958", "sdp": browser.localDescription.sdp}
                placed = await client.post("/api/dial/calls", json=body, headers=headers)
                assert placed.status_code == 201, placed.text
                call_id = placed.json()["id"]
                await browser.setRemoteDescription(
                    RTCSessionDescription(placed.json()["sdp"], "answer")
                )
                seen: list[dict[str, Any]] = []
                answered = asyncio.Event()
                watcher = asyncio.create_task(_events(client, call_id, seen, answered))
                await asyncio.wait_for(answered.wait(), 30)
                url = f"/api/dial/calls/{call_id}/quality"
                for wrong in ({"loss_pct": 150}, {"jitter_ms": -1}, {"rtt_ms": "fast"}):
                    refused = await client.post(url, json=wrong, headers=headers)
                    assert refused.status_code == 422, refused.text
                forged = await client.post(url, json={"jitter_ms": 1})
                assert forged.status_code == 403
                figures = {"jitter_ms": 4.0, "loss_pct": 0.5, "rtt_ms": 35.0}
                reported = await client.post(url, json=figures, headers=headers)
                assert reported.json() == {"ok": True}
                await asyncio.wait_for(echoed.wait(), 60)
                await client.post(f"/api/dial/calls/{call_id}/hangup", headers=headers)
                await asyncio.wait_for(watcher, 30)
                await browser.close()
                for listener in listeners:
                    listener.cancel()
                late = await client.post(url, json=figures, headers=headers)
                assert late.status_code == 404  # the call is over: nothing more is taken
                await instance(app, DialService).wait_idle()
                db = Database(database_url)
                try:
                    async with db.session() as session:
                        exported = await app.state.privacy.rights("v").export(
                            session, f"account:{account}"
                        )
                    assert await _count(db) == 1
                finally:
                    await db.dispose()
                page = (await client.get("/account")).text
                token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
                deleted = await client.post(
                    "/account/delete", data={"csrf": token, "password": "correct horse battery"}
                )
    quality = seen[-1]["quality"]
    assert quality["browser"] == figures
    assert quality["phone"]["jitter_ms"] is not None and quality["phone"]["loss_pct"] is not None
    assert quality["rating"] in ("good", "fair")  # loopback: no reason to be poor
    (record,) = exported["data"]["dial_call_quality"]["records"]
    assert record["rating"] == quality["rating"] and record["browser_rtt_ms"] == 35.0
    assert "Deleted: How your calls sounded" in deleted.text
    db = Database(database_url)
    try:
        assert await _count(db) == 0  # erased with the account
    finally:
        await db.dispose()


@ENGINES
async def test_quality_rows_expire_with_the_call_history(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url=database_url)
    db = Database(database_url)
    try:
        started = dt.datetime.now(dt.UTC)
        async with db.session() as session:
            session.add(
                DialCallQuality(
                    call_id="c1", subject_ref="account:a1", started_at=started, rating="good"
                )
            )
        almost = FakeClock(started + dt.timedelta(days=364))
        kept = await Privacy(settings, db, almost).sweeper().sweep()
        assert kept.counts.get("dial_call_quality", 0) == 0 and await _count(db) == 1
        year_on = FakeClock(started + dt.timedelta(days=366))
        swept = await Privacy(settings, db, year_on).sweeper().sweep()
        assert swept.counts["dial_call_quality"] == 1 and await _count(db) == 0
    finally:
        await db.dispose()
