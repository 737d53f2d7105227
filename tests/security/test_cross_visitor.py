"""A ring's progress is its visitor's alone: another browser (another anonymous id) that learns
a ring's id can neither read its state nor follow its events, while the ring goes on."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ringfence.http.instances import instance
from ringfence.services.ring.service import RingService
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.captcha import solved
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, sipp_peer
from tests.support.web import serving

pytestmark = pytest.mark.integration


def _settings(make_settings: SettingsFactory, database_url: str, carrier_port: int) -> Any:
    low, high = free_rtp_range()
    return make_settings(
        database_url=database_url,
        telephony={"enabled": True, "sip_port": free_port(), "rtp_port_min": low,
                   "rtp_port_max": high,
                   "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": carrier_port}]},
        captcha={"max_number": 1000},
        ring={"ring_time": 5},
    )  # fmt: skip


async def test_another_visitor_cannot_read_or_follow_a_ring(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with sipp_peer("uas") as phone:
        app = create_app(_settings(make_settings, database_url, phone.port), run_workers=False)
        async with (
            serving(app) as base,
            httpx.AsyncClient(base_url=base, timeout=60) as owner,
            httpx.AsyncClient(base_url=base, timeout=60) as stranger,
        ):
            body = {"number": "020 7946 0958", "country": "GB", "captcha": await solved(owner)}
            placed = await owner.post("/api/ring", json=body)
            assert placed.status_code == 202, placed.text
            ring_id = placed.json()["id"]
            await stranger.get("/ring")  # a browser of its own, with its own anonymous id
            assert stranger.cookies.get("rf_anon") != owner.cookies.get("rf_anon")
            for path in (f"/api/ring/{ring_id}", f"/api/ring/{ring_id}/events"):
                seen = await stranger.get(path)
                assert seen.status_code in (403, 404), (path, seen.status_code, seen.text)
                assert "state" not in seen.text
            mine = await owner.get(f"/api/ring/{ring_id}")
            assert mine.status_code == 200 and mine.json()["id"] == ring_id
            await instance(app, RingService).wait_idle()
