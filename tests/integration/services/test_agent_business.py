"""A business connects its own systems and runs its agent's knowledge, through the HTTP API as
its members and its systems would: knowledge edited, reordered, imported and exported as CSV
(broken rows named by line, nothing lost); API keys (scoped, revocable, one business only);
tools declared with a JSON Schema and called, signed, at a local receiver (a reply, a timeout's
fallback, the SSRF guard); post-call webhooks signed and retried after a 500 by the job
queue's watch, their log on the API."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import func, select

from ringfence.clock import SystemClock
from ringfence.jobs import JobQueue
from ringfence.privacy.core import Privacy
from ringfence.privacy.subjects import phone_ref
from ringfence.services.agents.calls.records import CallRecords, FinishedCall
from ringfence.services.agents.dialogue.conversation import Step
from ringfence.services.agents.hooks.calling import CallTools
from ringfence.services.agents.hooks.signing import HEADER, verify
from ringfence.services.agents.hooks.tools import FALLBACK
from ringfence.services.agents.hooks.webhooks import queue_for as queue_webhooks
from ringfence.services.agents.models import Webhook, WebhookDelivery
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import site, verified_login
from tests.support.endpoint import serving

pytestmark = pytest.mark.integration

HOOKS = {"hooks_http_hosts": ["127.0.0.1"], "hooks_private_networks": True,
         "webhook_retry_seconds": 0.2}  # fmt: skip


def _h(csrf: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf}


async def _business(client: httpx.AsyncClient, csrf: str, name: str) -> tuple[str, str]:
    made = await client.post("/api/tenants", json={"name": name}, headers=_h(csrf))
    tenant = made.json()["id"]
    agent = await client.post(
        f"/api/tenants/{tenant}/agents",
        json={"name": "Desk", "greeting": "Hello"},
        headers=_h(csrf),
    )
    assert agent.status_code == 201, agent.text
    return tenant, agent.json()["id"]


@asynccontextmanager
async def _account(
    make_settings: SettingsFactory, database_url: str, **agents: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, str, Settings]]:
    async with site(make_settings, database_url, agents=agents) as (client, inbox, settings):
        csrf = await verified_login(client, inbox, "owner@example.org")
        yield client, csrf, settings


async def test_knowledge_is_edited_reordered_imported_and_exported(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with _account(make_settings, database_url) as (client, csrf, _):
        tenant, agent = await _business(client, csrf, "Harbour Dental")
        base = f"/api/tenants/{tenant}/agents/{agent}/knowledge"
        ids = []
        for q, a in [("Opening hours?", "Nine to five."), ("Parking?", "Behind the shop.")]:
            made = await client.post(base, json={"question": q, "answer": a}, headers=_h(csrf))
            assert made.status_code == 201
            ids.append(made.json()["id"])

        changed = await client.put(
            f"{base}/{ids[0]}", json={"question": "Opening hours?", "answer": "Eight to six."},
            headers=_h(csrf),
        )  # fmt: skip
        assert changed.json()["answer"] == "Eight to six."
        order = await client.put(f"{base}-order", json={"order": ids[::-1]}, headers=_h(csrf))
        assert [e["id"] for e in order.json()["entries"]] == ids[::-1]
        bad_order = await client.put(f"{base}-order", json={"order": ids[:1]}, headers=_h(csrf))
        assert (
            bad_order.status_code == 422 and "every entry" in bad_order.json()["error"]["message"]
        )

        broken = (
            "question,answer\n"
            "Do you take cards?,Yes all cards.\n"
            ",An answer without a question\n"
            "Do you take cards?,Again\n"
            f"Too long?,{'x' * 5001}\n"
        )
        refused = await client.post(f"{base}.csv", content=broken.encode(), headers=_h(csrf))
        assert refused.status_code == 422
        message = refused.json()["error"]["message"]
        assert "nothing was imported" in message
        assert "line 3: the question is empty" in message
        assert "line 4: the same question as line 2" in message
        assert "line 5: the answer is longer than 5000 characters" in message
        kept = (await client.get(base)).json()["entries"]
        assert [e["question"] for e in kept] == ["Parking?", "Opening hours?"]  # nothing lost
        no_header = await client.post(f"{base}.csv", content=b"q,a\nx,y\n", headers=_h(csrf))
        assert no_header.status_code == 422 and "line 1" in no_header.json()["error"]["message"]

        good = "question,answer\nParking?,On the street.\nDo you take cards?,=Yes all cards.\n"
        imported = await client.post(f"{base}.csv", content=good.encode(), headers=_h(csrf))
        assert imported.json() == {"added": 1, "updated": 1}
        exported = await client.get(f"{base}.csv")
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(exported.text)))
        assert rows == [
            ["question", "answer"],
            ["Parking?", "On the street."],
            ["Opening hours?", "Eight to six."],
            ["Do you take cards?", "'=Yes all cards."],  # a spreadsheet does not run it
        ]
        # The export imports back unchanged (the formula guard is taken off again).
        again = await client.post(f"{base}.csv", content=exported.content, headers=_h(csrf))
        assert again.json() == {"added": 0, "updated": 0}

        gone = await client.delete(f"{base}/{ids[1]}", headers=_h(csrf))
        assert gone.json() == {"deleted": True}
        left = [e["question"] for e in (await client.get(base)).json()["entries"]]
        assert left == ["Opening hours?", "Do you take cards?"]
        assert (await client.delete(f"{base}/{ids[1]}", headers=_h(csrf))).status_code == 404


async def test_api_keys_are_scoped_revocable_and_of_one_business(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with _account(make_settings, database_url) as (client, csrf, _):
        tenant, agent = await _business(client, csrf, "Harbour Dental")
        other, other_agent = await _business(client, csrf, "Other Shop")
        made = await client.post(
            f"/api/tenants/{tenant}/api-keys",
            json={"name": "booking system", "scopes": ["agents:read"]},
            headers=_h(csrf),
        )
        assert made.status_code == 201, made.text
        key = made.json()["key"]
        assert key.startswith("rfk_")
        bad_scope = await client.post(
            f"/api/tenants/{tenant}/api-keys",
            json={"name": "x", "scopes": ["everything"]},
            headers=_h(csrf),
        )
        assert bad_scope.status_code == 422 and "unknown scope" in bad_scope.text

        bearer = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(
            transport=client._transport, base_url="http://testserver"
        ) as system:
            listed = await system.get(f"/api/tenants/{tenant}/agents", headers=bearer)
            assert listed.status_code == 200 and listed.json()["agents"][0]["id"] == agent
            # Out of scope: no agents:write, no calls:read.
            write = await system.post(
                f"/api/tenants/{tenant}/agents",
                json={"name": "X", "greeting": "Hi"},
                headers=bearer,
            )
            assert write.status_code == 403 and "scopes" in write.json()["error"]["message"]
            calls = await system.get(f"/api/tenants/{tenant}/calls", headers=bearer)
            assert calls.status_code == 403
            # Another business (even of the same owner) is not found with this key.
            theirs = await system.get(f"/api/tenants/{other}/agents/{other_agent}", headers=bearer)
            assert theirs.status_code == 404
            # The key manages nothing: keys are made by the owner or an admin.
            more = await system.post(
                f"/api/tenants/{tenant}/api-keys", json={"name": "y", "scopes": ["calls:read"]},
                headers=bearer,
            )  # fmt: skip
            assert more.status_code == 403
            # The list shows the key's hint, never the key.
            shown = (await client.get(f"/api/tenants/{tenant}/connections")).json()["keys"]
            assert shown[0]["hint"] == key[:10] and key not in json.dumps(shown)
            revoked = await client.delete(
                f"/api/tenants/{tenant}/api-keys/{made.json()['id']}", headers=_h(csrf)
            )
            assert revoked.json() == {"revoked": True}
            after = await system.get(f"/api/tenants/{tenant}/agents", headers=bearer)
            assert after.status_code == 401
            wrong = await system.get(
                f"/api/tenants/{tenant}/agents", headers={"Authorization": "Bearer rfk_nope"}
            )
            assert wrong.status_code == 401


@asynccontextmanager
async def _receiver(
    secret: list[str],
    replies: list[int],
    seen: list[dict[str, Any]],
    delay: float = 0.0,
    arrived: asyncio.Queue[None] | None = None,
) -> AsyncIterator[str]:
    """A business's system: checks the signature, answers the next status of ``replies``."""

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        signed = verify(secret[0], request.headers.get(HEADER, ""), body, int(time.time()))
        seen.append({"signed": signed, "body": json.loads(body), "path": request.path})
        if arrived is not None:
            arrived.put_nowait(None)
        if delay:
            await asyncio.sleep(delay)  # a slow system: the agent must not wait on it
        status = replies.pop(0) if replies else 200
        if request.path == "/tool":
            arguments = json.loads(body)["arguments"]
            slot = arguments.get("day") or arguments.get("said")
            return web.json_response({"say": f"{slot} at ten is free."}, status=status)
        return web.json_response({}, status=status)

    app = web.Application()
    app.router.add_post("/tool", handle)
    app.router.add_post("/slow", handle)
    app.router.add_post("/hook", handle)
    async with serving(app) as base:
        yield base


SCHEMA = {"type": "object", "properties": {"day": {"type": "string"}}, "required": ["day"]}


async def test_tools_are_declared_with_a_schema_and_called_signed(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with _account(make_settings, database_url, **HOOKS) as (client, csrf, _):
        tenant, agent = await _business(client, csrf, "Harbour Dental")
        tools = f"/api/tenants/{tenant}/agents/{agent}/tools"
        secret: list[str] = []
        seen: list[dict[str, Any]] = []
        async with _receiver(secret, [], seen) as base:
            spec = {"name": "check_slot", "description": "Is a day free?", "url": base + "/tool",
                    "parameters": SCHEMA}  # fmt: skip
            unsigned = await client.post(tools, json=spec, headers=_h(csrf))
            assert unsigned.status_code == 409 and "signing secret" in unsigned.text
            made = await client.post(f"/api/tenants/{tenant}/signing-secret", headers=_h(csrf))
            secret.append(made.json()["secret"])

            bad = {**spec, "parameters": {"type": "object", "properties": {"day": {"type": 7}}}}
            refused = await client.post(tools, json=bad, headers=_h(csrf))
            assert refused.status_code == 422
            assert "not a valid JSON Schema" in refused.json()["error"]["message"]
            not_object = await client.post(
                tools, json={**spec, "parameters": {"type": "string"}}, headers=_h(csrf)
            )
            assert not_object.status_code == 422 and "must be an object" in not_object.text

            tool = await client.post(tools, json=spec, headers=_h(csrf))
            assert tool.status_code == 201, tool.text
            tried = await client.post(
                f"{tools}/{tool.json()['id']}/try", json={"arguments": {"day": "Tuesday"}},
                headers=_h(csrf),
            )  # fmt: skip
            assert tried.json() == {"say": "Tuesday at ten is free.", "ok": True, "error": ""}
            assert seen[-1]["signed"] and seen[-1]["body"]["tool"] == "check_slot"
            wrong_args = await client.post(
                f"{tools}/{tool.json()['id']}/try", json={"arguments": {"day": 3}},
                headers=_h(csrf),
            )  # fmt: skip
            assert wrong_args.status_code == 422 and "do not fit" in wrong_args.text

            slow = {**spec, "name": "slow_slot", "url": base + "/slow", "timeout_seconds": 1}
            slow_tool = await client.post(tools, json=slow, headers=_h(csrf))
        async with _receiver(secret, [], seen, delay=5.0) as base:
            await client.delete(f"{tools}/{slow_tool.json()['id']}", headers=_h(csrf))
            slow_tool = await client.post(
                tools, json={**slow, "url": base + "/slow"}, headers=_h(csrf)
            )
            started = time.monotonic()
            timed_out = await client.post(
                f"{tools}/{slow_tool.json()['id']}/try", json={"arguments": {"day": "Monday"}},
                headers=_h(csrf),
            )  # fmt: skip
            assert time.monotonic() - started < 4.5
            reply = timed_out.json()
            assert not reply["ok"] and "no reply within 1 s" in reply["error"]
            assert "take a message" in reply["say"]  # the safe fallback the caller hears


async def test_private_addresses_are_refused_without_the_operators_opt_in(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with _account(make_settings, database_url) as (client, csrf, _):
        tenant, agent = await _business(client, csrf, "Harbour Dental")
        await client.post(f"/api/tenants/{tenant}/signing-secret", headers=_h(csrf))
        tools = f"/api/tenants/{tenant}/agents/{agent}/tools"
        spec = {"name": "t", "description": "d", "parameters": SCHEMA}
        for url, status, words in [
            ("http://example.org/x", 422, "must be https"),
            ("https://127.0.0.1/x", 403, "private or reserved"),
            ("https://[::ffff:10.0.0.1]/x", 403, "private or reserved"),
            ("https://169.254.169.254/latest", 403, "private or reserved"),
            ("https://user:pw@example.org/", 422, "no user name"),
        ]:
            refused = await client.post(tools, json={**spec, "url": url}, headers=_h(csrf))
            assert refused.status_code == status, (url, refused.text)
            assert words in refused.json()["error"]["message"]
        hook = await client.post(
            f"/api/tenants/{tenant}/webhooks", json={"url": "https://10.1.2.3/h"}, headers=_h(csrf)
        )
        assert hook.status_code == 403


async def test_post_call_webhooks_are_signed_retried_after_a_500_and_logged(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with _account(make_settings, database_url, **HOOKS) as (client, csrf, settings):
        tenant, agent = await _business(client, csrf, "Harbour Dental")
        secret: list[str] = []
        seen: list[dict[str, Any]] = []
        arrived: asyncio.Queue[None] = asyncio.Queue()
        async with _receiver(secret, [500], seen, arrived=arrived) as base:
            made = await client.post(f"/api/tenants/{tenant}/signing-secret", headers=_h(csrf))
            secret.append(made.json()["secret"])
            hook = await client.post(
                f"/api/tenants/{tenant}/webhooks",
                json={"url": base + "/hook", "send_transcript": True},
                headers=_h(csrf),
            )
            assert hook.status_code == 201, hook.text

            db = Database(database_url)
            clock = SystemClock()
            privacy = Privacy(settings, db, clock)
            try:
                now = clock.now()
                # What every agent call leaves when it ends (the receptionist's and a campaign's).
                await CallRecords(settings, db, privacy, clock).save(
                    FinishedCall(
                        id="call1", tenant_id=tenant, agent_id=agent, direction="inbound",
                        subject_ref=phone_ref("+14155550142", settings.signing_key()),
                        caller_masked="+1 ••• 42", started_at=now - dt.timedelta(seconds=40),
                        ended_at=now, outcome="booked", booked="Tuesday 10:00",
                        summary="Booked Tuesday 10:00.",
                        transcript=[{"speaker": "caller", "text": "Tuesday please"}],
                        recording=b"", recording_seconds=0.0,
                    )
                )  # fmt: skip
                # The queue's worker runs the watch each second and the sending jobs.
                queue = JobQueue(settings)
                queue.start(workers=1)
                try:
                    for _ in range(2):  # a 500, then the retry
                        await asyncio.wait_for(arrived.get(), 60)
                finally:
                    await asyncio.to_thread(queue.stop)
            finally:
                await db.dispose()
        assert len(seen) == 2, seen
        assert all(s["signed"] for s in seen)
        body = seen[1]["body"]
        assert body["event"] == "call.ended" and body["call"]["outcome"] == "booked"
        assert body["call"]["summary"] == "Booked Tuesday 10:00."
        assert body["call"]["transcript"] == [{"speaker": "caller", "text": "Tuesday please"}]
        log = await client.get(f"/api/tenants/{tenant}/agents/{agent}/webhook-deliveries")
        (delivery,) = log.json()["deliveries"]
        assert delivery["state"] == "delivered" and delivery["attempts"] == 2
        assert delivery["last_status"] == 200 and delivery["call_id"] == "call1"


@ENGINES
async def test_the_delivery_log_is_exported_erased_and_swept(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(database_url=database_url)
    db = Database(database_url)
    clock = SystemClock()
    privacy = Privacy(settings, db, clock)
    subject = phone_ref("+447700900123", settings.signing_key())
    async with tenant_session(db, "tenant-a") as session:
        session.add(Webhook(url="https://example.org/h", send_transcript=False,
                            created_at=clock.now()))  # fmt: skip
        for call_id, age in (("fresh", 1), ("old", 40)):  # the log keeps 30 days
            await queue_webhooks(
                session, call_id, "agent-a", subject, clock.now() - dt.timedelta(days=age)
            )
    rights = privacy.rights("test")
    async with db.session() as session:
        exported: dict[str, Any] = await rights.export(session, subject)
    records = exported["data"]["agent_webhook_delivery"]["records"]
    assert len(records) == 2 and {r["state"] for r in records} == {"pending"}

    report = await privacy.sweeper().sweep()
    assert report.counts["agent_webhook_delivery"] == 1
    async with tenant_session(db, "tenant-a") as session:
        left = (await session.scalars(select(WebhookDelivery.call_id))).all()
    assert left == ["fresh"]
    async with db.session() as session:
        actions, _ = await rights.erase(session, subject)
    assert "agent_webhook_delivery" in {a["category"] for a in actions}
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    await db.dispose()


async def test_a_knowledge_entry_calls_a_tool_on_the_call_and_falls_back_when_it_is_late(
    make_settings: SettingsFactory, database_url: str
) -> None:
    """The step the voice pipeline says (``VoiceSession.act``): an entry answering with
    ``[tool:NAME]`` says what the business's system answered; a late one, the fallback."""
    async with _account(make_settings, database_url, **HOOKS) as (client, csrf, settings):
        tenant, agent = await _business(client, csrf, "Harbour Dental")
        secret: list[str] = []
        seen: list[dict[str, Any]] = []
        made = await client.post(f"/api/tenants/{tenant}/signing-secret", headers=_h(csrf))
        secret.append(made.json()["secret"])
        said_schema = {"type": "object", "properties": {"said": {"type": "string"}}}
        db = Database(database_url)
        try:
            async with (
                _receiver(secret, [], seen) as fast,
                _receiver(secret, [], seen, delay=5.0) as slow,
            ):
                for name, url, timeout in (("free_slots", fast + "/tool", 2.0),
                                           ("slow_slots", slow + "/slow", 1.0)):  # fmt: skip
                    spec = {"name": name, "description": "Free slots", "url": url,
                            "parameters": said_schema, "timeout_seconds": timeout}  # fmt: skip
                    tool = await client.post(
                        f"/api/tenants/{tenant}/agents/{agent}/tools", json=spec, headers=_h(csrf)
                    )
                    assert tool.status_code == 201, tool.text
                tools = await CallTools.load(
                    db, settings.agents, SystemClock(), tenant, agent, "call-1"
                )
                plain = Step("We open at nine. Anything else?")
                assert await tools.step("when do you open", plain) == plain
                answered = await tools.step("any slot on friday", Step("[tool:free_slots]"))
                assert seen[-1]["signed"]
                assert seen[-1]["body"]["arguments"] == {"said": "any slot on friday"}
                assert seen[-1]["body"]["call_id"] == "call-1"
                assert answered.say == "any slot on friday at ten is free."
                started = time.monotonic()
                late = await tools.step("any slot on friday", Step("[tool:slow_slots] Else?"))
                assert time.monotonic() - started < 4.5
                assert late.say == f"{FALLBACK} Else?"
                gone = await tools.step("x", Step("[tool:no_such_tool]"))
                assert gone.say == FALLBACK
        finally:
            await db.dispose()
