"""What agent calls leave, through the API and the privacy core: members read calls by role,
never another business's; the records expire at their own end, which an owner may extend (in
writing, audited); the caller's rights requests export and erase them."""

from __future__ import annotations

import datetime as dt
import io
import re
import wave
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from ringfence.clock import SystemClock
from ringfence.privacy.audit import AuditEntry
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import phone_ref
from ringfence.services.agents.calls.records import CallRecords, FinishedCall
from ringfence.services.agents.models import AgentCall, AgentRecording
from ringfence.services.agents.testing import verify_number
from ringfence.settings import Settings
from ringfence.store import Database
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import invite_and_accept, site, verified_login

pytestmark = pytest.mark.integration
CALLER = "+447700900123"


def _wav(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes(b"\x01\x00" * 2 * int(8000 * seconds))
    return out.getvalue()


async def _a_call(
    settings: Settings, db: Database, tenant: str, agent: str, started: dt.datetime
) -> tuple[CallRecords, str]:
    privacy = Privacy(settings, db)
    records = CallRecords(settings, db, privacy, privacy.clock)
    call_id = "c" + started.strftime("%Y%m%d%H%M%S")
    await records.save(
        FinishedCall(
            id=call_id,
            tenant_id=tenant,
            agent_id=agent,
            direction="inbound",
            subject_ref=phone_ref(CALLER, settings.signing_key()),
            caller_masked="+*********23",
            started_at=started,
            ended_at=started + dt.timedelta(seconds=30),
            outcome="message_taken",
            booked="",
            summary="Outcome: message taken. Message: call me back, card [card number]",
            transcript=[{"speaker": "caller", "start": 1.0, "end": 3.0, "text": "call me back"}],
            recording=_wav(2.0),
            recording_seconds=2.0,
        )
    )
    return records, call_id


async def _business(
    client: httpx.AsyncClient, csrf: str, name: str, settings: Settings, db: Database
) -> tuple[str, str]:
    headers = {"X-CSRF-Token": csrf}
    tenant = (await client.post("/api/tenants", json={"name": name}, headers=headers)).json()["id"]
    await verify_number(settings, db, SystemClock(), tenant, "+442071838750")
    agent = await client.post(
        f"/api/tenants/{tenant}/agents",
        json={
            "name": "Desk",
            "greeting": "Hello",
            "phone_number": "+44 20 7183 8750",
            "transfer_number": "020 7946 0000x",
        },  # fmt: skip
        headers=headers,
    )
    assert agent.status_code == 422 and "phone number" in agent.text  # a bad transfer number
    robot = await client.post(
        f"/api/tenants/{tenant}/agents",
        json={"name": "Desk", "greeting": "Hello", "voice": "robot"},
        headers=headers,
    )
    assert robot.status_code == 422 and "unknown voice" in robot.text
    agent = await client.post(
        f"/api/tenants/{tenant}/agents",
        json={"name": "Desk", "greeting": "Hello", "phone_number": "+44 20 7183 8750"},
        headers=headers,
    )
    assert agent.status_code == 201, agent.text
    assert agent.json()["phone_number"] == "+442071838750"
    return tenant, agent.json()["id"]


@ENGINES
async def test_calls_are_read_by_role_and_never_across_businesses(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (alice, inbox, settings):
        bob = httpx.AsyncClient(transport=alice._transport, base_url="http://testserver")
        alice_csrf = await verified_login(alice, inbox, "alice@example.org")
        bob_csrf = await verified_login(bob, inbox, "bob@example.org")
        db = Database(database_url)
        tenant, agent = await _business(alice, alice_csrf, "Alice Bakery", settings, db)
        now = dt.datetime.now(dt.UTC)
        _, call_id = await _a_call(settings, db, tenant, agent, now)
        # Another business cannot take the number (it has not verified it), and a number
        # answers one agent only, across businesses, even one both verified.
        headers = {"X-CSRF-Token": bob_csrf}
        bob_tenant = (await bob.post("/api/tenants", json={"name": "Bob"}, headers=headers)).json()[
            "id"
        ]
        desk = {"name": "Desk", "greeting": "Hi", "phone_number": "+442071838750"}
        claimed = await bob.post(f"/api/tenants/{bob_tenant}/agents", json=desk, headers=headers)
        assert claimed.status_code == 403 and "not a number this business has" in claimed.text
        await verify_number(settings, db, SystemClock(), bob_tenant, "+442071838750")
        taken = await bob.post(f"/api/tenants/{bob_tenant}/agents", json=desk, headers=headers)
        assert taken.status_code == 422 and "another agent" in taken.text

        listed = (await alice.get(f"/api/tenants/{tenant}/calls")).json()["calls"]
        assert [(c["id"], c["outcome"], c["recorded"]) for c in listed] == [
            (call_id, "message_taken", True)
        ]
        assert (await alice.get(f"/api/tenants/{tenant}/calls?outcome=booked")).json() == {
            "calls": []
        }
        bad = await alice.get(f"/api/tenants/{tenant}/calls?outcome=everything")
        assert bad.status_code == 422 and "unknown outcome" in bad.text
        one = (await alice.get(f"/api/tenants/{tenant}/calls/{call_id}")).json()
        assert one["summary"].startswith("Outcome: message taken")
        assert one["transcript"][0]["text"] == "call me back"
        # The dashboard's pages: the list with its filter, and the call with playback.
        listing = await alice.get(f"/agents/b/{tenant}/calls")
        assert call_id in listing.text and "<td>Message taken</td>" in listing.text
        assert "message_taken</td>" not in listing.text and not re.search(
            r">\d{4}-\d\d-\d\dT", listing.text
        )  # words and dates people read, not stored values
        assert "No calls yet" in (await alice.get(f"/agents/b/{tenant}/calls?outcome=booked")).text
        shown = await alice.get(f"/agents/b/{tenant}/calls/{call_id}")
        assert "call me back" in shown.text and "[card number]" in shown.text
        assert "Message taken" in shown.text and "kept until" in shown.text
        assert f"/api/tenants/{tenant}/calls/{call_id}/recording" in shown.text
        wav = await alice.get(f"/api/tenants/{tenant}/calls/{call_id}/recording")
        assert wav.headers["content-type"] == "audio/wav"
        with wave.open(io.BytesIO(wav.content)) as reader:
            assert reader.getnframes() == 16000
        # Bob: not a member, then a viewer (may see agents, not calls), then an analyst.
        for path in ("", f"/{call_id}", f"/{call_id}/recording"):
            response = await bob.get(f"/api/tenants/{tenant}/calls{path}")
            assert response.status_code in (403, 404), response.text
        for path in (f"/{call_id}", f"/{call_id}/recording"):  # Alice's call under Bob's business
            response = await bob.get(f"/api/tenants/{bob_tenant}/calls{path}")
            assert response.status_code == 404, response.text
        carol = httpx.AsyncClient(transport=alice._transport, base_url="http://testserver")
        carol_csrf = await verified_login(carol, inbox, "carol@example.org")
        for who, who_csrf, email, role, code in (
            (bob, bob_csrf, "bob", "viewer", 403),
            (carol, carol_csrf, "carol", "analyst", 200),
        ):
            await invite_and_accept(
                (alice, alice_csrf), (who, who_csrf), inbox, tenant, f"{email}@example.org", role
            )
            response = await who.get(f"/api/tenants/{tenant}/calls/{call_id}/recording")
            assert response.status_code == code, (role, response.text)
        await carol.aclose()
        await bob.aclose()
        await db.dispose()


@ENGINES
async def test_records_expire_at_their_end_which_an_owner_may_extend_in_writing(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (alice, inbox, settings):
        csrf = await verified_login(alice, inbox, "alice@example.org")
        db = Database(database_url)
        tenant, agent = await _business(alice, csrf, "Alice Bakery", settings, db)
        now = dt.datetime.now(dt.UTC)
        old = now - dt.timedelta(days=100)  # past the 90-day default
        await _a_call(settings, db, tenant, agent, old)
        await _a_call(settings, db, tenant, agent, now - dt.timedelta(days=10))
        privacy = Privacy(settings, db)

        async def counts() -> tuple[int, int]:
            async with db.session() as session:
                calls = await session.scalar(select(func.count()).select_from(AgentCall))
                recordings = await session.scalar(select(func.count()).select_from(AgentRecording))
            return int(calls or 0), int(recordings or 0)

        url = f"/api/tenants/{tenant}/retention"
        headers = {"X-CSRF-Token": csrf}
        for body, message in (
            ({"days": 30, "reason": "letter of 1 November"}, "from 90"),
            ({"days": 365, "reason": "ok"}, "written request"),
        ):
            refused = await alice.put(url, json=body, headers=headers)
            assert refused.status_code == 422 and message in refused.text, refused.text
        assert await counts() == (2, 2)  # a refused change touched nothing
        extended = await alice.put(
            url, json={"days": 365, "reason": "letter of 1 November 2026"}, headers=headers
        )
        assert extended.json() == {"days": 365}
        await privacy.sweeper().sweep()
        assert await counts() == (2, 2)  # 100 days old, kept for 365
        async with db.session() as session:
            entry = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "agents.retention.changed")
                )
            ).one()
            assert entry.detail["days"] == 365 and entry.detail["days_before"] == 90
            assert entry.detail["reason"] == "letter of 1 November 2026"
        back = await alice.put(url, json={"days": 90, "reason": "contract ended"}, headers=headers)
        assert back.status_code == 200
        report = await privacy.sweeper().sweep()
        assert report.counts["agent_call"] == 1 and report.counts["agent_call_recording"] == 1
        assert await counts() == (1, 1)
        await db.dispose()


@ENGINES
async def test_a_callers_rights_requests_export_and_erase_their_agent_calls(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(database_url=database_url)
    db = Database(database_url)
    await _a_call(settings, db, "tenant-a", "agent-a", dt.datetime.now(dt.UTC))
    privacy = Privacy(settings, db)
    subject = phone_ref(CALLER, settings.signing_key())
    rights = privacy.rights("test")
    async with db.session() as session:
        exported: dict[str, Any] = await rights.export(session, subject)
    calls = exported["data"]["agent_call"]["records"]
    assert "call me back" in calls[0]["transcript"] and "[card number]" in calls[0]["summary"]
    recording = exported["data"]["agent_call_recording"]["records"][0]["audio"]
    assert "base64" in recording  # the audio, decrypted, losslessly
    async with db.session() as session:
        actions, _ = await rights.erase(session, subject)
    erased = {a["category"] for a in actions}
    assert {"agent_call", "agent_call_recording"} <= erased
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(AgentCall)) == 0
        assert await session.scalar(select(func.count()).select_from(AgentRecording)) == 0
    await db.dispose()
