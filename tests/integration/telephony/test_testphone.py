"""The test phone in the app: /phone says why there is none when there is none (and its line
refuses), and beside an engine the operator enabled it takes none of its ports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.certs import make_certs
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range
from tests.support.web import client_for, serving

pytestmark = pytest.mark.integration
A_TRUNK = [{"name": "t", "host": "127.0.0.1", "port": 5999}]


@pytest.mark.parametrize(
    ("telephony", "said"),
    [
        ({"test_phone": {"enabled": False}}, "The test phone is switched off on this server."),
        ({"carriers": A_TRUNK}, "calls real phones through its carrier, so the test phone is off"),
    ],
)
async def test_without_the_test_phone_the_page_says_why(
    make_settings: SettingsFactory, database_url: str, telephony: dict[str, object], said: str
) -> None:
    app = create_app(
        make_settings(database_url=database_url, telephony=telephony), run_workers=False
    )
    async with client_for(app) as client:
        page = await client.get("/phone")
    assert page.status_code == 200 and said in page.text
    assert (
        'id="number"' not in page.text and "microphone=(self)" in page.headers["permissions-policy"]
    )


async def test_without_the_test_phone_a_line_is_refused_with_the_reason(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(
        database_url=database_url, telephony={"test_phone": {"enabled": False}}
    )
    async with serving(create_app(settings, run_workers=False)) as base:
        anon = "a" * 32
        async with connect(
            base.replace("http", "ws") + "/api/phone/line",
            additional_headers={"Origin": base, "Cookie": f"rf_anon={anon}"},
        ) as ws:
            refusal = json.loads(await ws.recv())
    assert refusal == {"type": "error", "message": "the test phone is off on this server"}


async def test_the_test_phone_takes_none_of_the_platforms_sip_ports(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    _, cert, key = make_certs(tmp_path)
    low, high = free_rtp_range()
    telephony = {
        "enabled": True,
        "sip_port": 0,
        "tcp": True,
        "tls_port": free_port(),
        "tls_cert": cert,
        "tls_key": key,
        "rtp_port_min": low,
        "rtp_port_max": high,
    }
    app = create_app(
        make_settings(database_url=database_url, telephony=telephony), run_workers=False
    )
    async with client_for(app):
        platform = app.state.telephony.status()
        phone = app.state.test_phone.engine.status()
    assert platform["tcp"] is not None and platform["tls"].endswith(f":{telephony['tls_port']}")
    assert phone["sip"].startswith("127.0.0.1:") and phone["tcp"] is None and phone["tls"] is None
    assert [c["name"] for c in phone["carriers"]] == ["platform"]
