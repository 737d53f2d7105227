"""The console's carriers against the app on a real server with SIPp as three trunks: each is
listed with its registration status (one registers with digest), and the test call goes out
through the outbound gate: answered by one, refused busy by another, refused by the dialling
policy before any trunk is reached, and refused plainly when telephony is off."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from ringfence.privacy.models import AuditEntry
from ringfence.store import Database
from tests.conftest import SettingsFactory
from tests.support.admin import client, console_site, operator_login
from tests.support.server import free_port
from tests.support.sipp import free_rtp_range, start_sipp

pytestmark = pytest.mark.integration


async def test_carriers_their_registration_and_test_calls(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    answers = await start_sipp("uas")
    busy = await start_sipp("uas_reject", fill={"status": "486"})
    registrar = await start_sipp("uas_register")
    low, high = free_rtp_range()
    telephony = {
        "enabled": True,
        "sip_port": free_port(),
        "rtp_port_min": low,
        "rtp_port_max": high,
        "carriers": [
            {"name": "answers", "host": "127.0.0.1", "port": answers.port, "prefixes": ["44"]},
            {"name": "busy", "host": "127.0.0.1", "port": busy.port, "prefixes": ["33"]},
            {
                "name": "registrar",
                "host": "127.0.0.1",
                "port": registrar.port,
                "prefixes": ["49"],
                "username": "trunkuser",
                "password": "trunkpass",
                "registers": True,
            },
        ],
    }
    try:
        async with console_site(make_settings, database_url, telephony=telephony) as (base, _):
            async with client(base) as operator:
                csrf = await operator_login(operator)
                page = await operator.get("/admin/carriers")
                for name in ("answers", "busy", "registrar"):
                    assert f'<th scope="row">{name}</th>' in page.text
                assert "does not register (authenticated by address)" in page.text
                # A trunk's registration settles on its own: the page is asked again until it
                # shows the registrar's answer (there is no event to await from outside).
                for _ in range(300):
                    if ">registered<" in page.text:
                        break
                    await asyncio.sleep(0.1)
                    page = await operator.get("/admin/carriers")
                assert ">registered<" in page.text, page.text

                answered = await operator.post(
                    "/admin/carriers/test-call", data={"csrf": csrf, "number": "+44 20 7946 0958"}
                )
                assert answered.status_code == 200
                assert 'id="outcome">answered' in answered.text
                assert "<dd>answers</dd>" in answered.text and "ringing" in answered.text

                refused = await operator.post(
                    "/admin/carriers/test-call", data={"csrf": csrf, "number": "+33 1 23 45 67 89"}
                )
                assert 'id="outcome">busy (SIP 486)' in refused.text, refused.text

                premium = await operator.post(
                    "/admin/carriers/test-call", data={"csrf": csrf, "number": "+44 909 879 0000"}
                )
                assert premium.status_code == 403 and 'role="alert"' in premium.text
                garbage = await operator.post(
                    "/admin/carriers/test-call", data={"csrf": csrf, "number": "not a number"}
                )
                assert garbage.status_code == 422 and 'value="not a number"' in garbage.text
        rc, out = await answers.finish()
        assert rc == 0, out
    finally:
        for sipp in (answers, busy, registrar):
            await sipp.kill()
    db = Database(database_url)
    try:
        async with db.session() as session:
            rows = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "admin.carrier.test_call")
                )
            ).all()
    finally:
        await db.dispose()
    assert sorted(r.detail["outcome"] for r in rows) == ["answered", "busy"]
    assert all("7946" not in str(r.detail) for r in rows)  # the number only masked


async def test_a_test_call_without_telephony_says_so(
    make_settings: SettingsFactory, database_url: str
) -> None:
    no_test_phone = {"test_phone": {"enabled": False}}
    async with console_site(make_settings, database_url, telephony=no_test_phone) as (base, _):
        async with client(base) as operator:
            csrf = await operator_login(operator)
            page = await operator.get("/admin/carriers")
            assert (
                "Telephony is not running" in page.text and "No carrier is configured" in page.text
            )
            tried = await operator.post(
                "/admin/carriers/test-call", data={"csrf": csrf, "number": "+442079460958"}
            )
            assert tried.status_code == 503 and "telephony is off" in tried.text
