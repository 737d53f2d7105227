"""Each business's data is its own: the scoped session on both engines (and row-level security on
PostgreSQL, even for raw SQL), and every tenant route of the API tried across businesses."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from ringfence.errors import Forbidden
from ringfence.services.agents.models import Agent
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import invite_and_accept, site, verified_login

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def _agent(name: str, tenant: str | None = None) -> Agent:
    return Agent(
        name=name,
        greeting="Hello",
        disclosure="automated",
        tenant_id=tenant,
        created_at=NOW,
        updated_at=NOW,
    )


@ENGINES
async def test_a_scoped_session_sees_and_writes_only_its_tenant(db: Database) -> None:
    async with tenant_session(db, "tenant-a") as session:
        session.add_all([_agent("a1"), _agent("a2")])
    async with tenant_session(db, "tenant-b") as session:
        session.add(_agent("b1"))
        await session.flush()
        b_id = (await session.scalars(select(Agent.id))).one()

    async with tenant_session(db, "tenant-a") as session:
        names = sorted((await session.scalars(select(Agent.name))).all())
        assert names == ["a1", "a2"]
        assert await session.get(Agent, b_id) is None
        changed = await session.execute(update(Agent).values(greeting="Hi"))
        assert changed.rowcount == 2  # type: ignore[attr-defined]
    with pytest.raises(Forbidden, match="another business"):
        async with tenant_session(db, "tenant-a") as session:
            session.add(_agent("intruder", tenant="tenant-b"))
    async with tenant_session(db, "tenant-b") as session:
        (b,) = (await session.scalars(select(Agent))).all()
        assert b.greeting == "Hello" and b.name == "b1"

    if db.dialect != "postgresql":
        return
    # Row-level security: raw SQL in a tenant's transaction sees and writes only that tenant.
    async with tenant_session(db, "tenant-a") as session:
        count = await session.scalar(text("select count(*) from agents"))
        assert count == 2
        deleted = await session.execute(text("delete from agents where tenant_id = 'tenant-b'"))
        assert deleted.rowcount == 0  # type: ignore[attr-defined]
    with pytest.raises(DBAPIError, match="row-level security"):
        async with tenant_session(db, "tenant-a") as session:
            await session.execute(
                text(
                    "insert into agents (id, tenant_id, name, greeting, instructions, language,"
                    " voice, disclosure, created_at, updated_at) values ('x', 'tenant-b', 'x',"
                    " 'x', '', 'en', 'v', 'd', now(), now())"
                )
            )
    async with db.session() as session:  # outside a tenant (system jobs): every row
        assert await session.scalar(text("select count(*) from agents")) == 3


def _csrf_header(csrf: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf}


async def _business(client: httpx.AsyncClient, csrf: str, name: str) -> tuple[str, str, str]:
    made = await client.post("/api/tenants", json={"name": name}, headers=_csrf_header(csrf))
    assert made.status_code == 201, made.text
    tenant = made.json()["id"]
    agent = await client.post(
        f"/api/tenants/{tenant}/agents",
        json={"name": f"{name} desk", "greeting": "Hello"},
        headers=_csrf_header(csrf),
    )
    assert agent.status_code == 201, agent.text
    assert agent.json()["disclosure"] == f"You are speaking with an automated assistant for {name}."
    knowledge = await client.post(
        f"/api/tenants/{tenant}/agents/{agent.json()['id']}/knowledge",
        json={"question": "Opening hours?", "answer": f"{name} opens at 9."},
        headers=_csrf_header(csrf),
    )
    assert knowledge.status_code == 201
    return tenant, agent.json()["id"], knowledge.json()["id"]


@ENGINES
async def test_no_tenant_route_reads_or_changes_another_business(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (alice, inbox, _):
        bob = httpx.AsyncClient(transport=alice._transport, base_url="http://testserver")
        alice_csrf = await verified_login(alice, inbox, "alice@example.org")
        bob_csrf = await verified_login(bob, inbox, "bob@example.org")
        a_tenant, a_agent, _ = await _business(alice, alice_csrf, "Alice Bakery")
        b_tenant, b_agent, _ = await _business(bob, bob_csrf, "Bob Garage")
        before = (await bob.get(f"/api/tenants/{b_tenant}/agents/{b_agent}")).json()

        schema = (await alice.get("/openapi.json")).json()["paths"]
        routes = [
            (method.upper(), path)
            for path, operations in schema.items()
            if path.startswith("/api/tenants/{tenant_id}")
            for method in sorted(operations)
        ]
        assert len(routes) >= 6
        bodies: dict[str, Any] = {
            "members": {"email": "alice@example.org", "role": "owner"},
            "knowledge": {"question": "x?", "answer": "stolen"},
            "reply": {"text": "what are your opening hours?"},
            "retention": {"days": 365, "reason": "our letter of 1 November"},
            "do-not-call": {"numbers": ["+442071838750"]},
            "talk": {"sdp": "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"},
            "agents": {"name": "taken", "greeting": "pwned"},
            "campaigns": {"name": "x", "agent_id": b_agent, "list_id": "x", "opening": "x"},
            "voices": {"name": "x", "speaker_email": "alice@example.org", "scope": "x"},
            "evaluations": {"number": "+442079460123", "business": "Bob Garage"},
            "/numbers": {"number": "+442079460123"},
            "/numbers/call": {"token": "x" * 40},
            "close": {"confirm": "Bob Garage"},
            "{entry_id}": {"question": "x?", "answer": "stolen"},
            "knowledge-order": {"order": []},
            "tools": {
                "name": "t",
                "description": "d",
                "url": "https://x.example.org/",
                "parameters": {"type": "object"},
            },
            "/try": {"arguments": {}},
            "webhooks": {"url": "https://x.example.org/"},
            "api-keys": {"name": "x", "scopes": ["agents:read"]},
        }
        # Ids of other kinds, and a campaign action: nothing of Alice's is behind them.
        others = {"{action}": "start"}
        tried = 0
        for method, path in routes:
            body = next((v for k, v in bodies.items() if path.endswith(k)), bodies["agents"])
            # Bob's business by its own id, and Bob's agent under Alice's business.
            for tenant, agent in ((b_tenant, b_agent), (a_tenant, b_agent)):
                url = path.replace("{tenant_id}", tenant).replace("{agent_id}", agent)
                for name, value in others.items():
                    url = url.replace(name, value)
                url = re.sub(r"\{[a-z_]+\}", "nope", url)
                if tenant == a_tenant and "{agent_id}" not in path:
                    continue  # Alice's own business without Bob's ids: nothing of Bob's to reach
                response = await alice.request(
                    method,
                    url,
                    json=body if method in ("POST", "PUT") else None,
                    headers=_csrf_header(alice_csrf),
                )
                tried += 1
                assert response.status_code in (403, 404), (method, url, response.text)
        assert tried >= 8
        after = (await bob.get(f"/api/tenants/{b_tenant}/agents/{b_agent}")).json()
        assert after == before and len(after["knowledge"]) == 1
        # Bob's agent answers from Bob's knowledge base (the offline dialogue step).
        said = await bob.post(
            f"/api/tenants/{b_tenant}/agents/{b_agent}/reply",
            json={"text": "when do you open?"},
        )
        assert said.json()["kind"] == "answer" and said.json()["reply"] == "Bob Garage opens at 9."
        mine = (await alice.get("/api/tenants")).json()["tenants"]
        assert [t["id"] for t in mine] == [a_tenant]

        # Roles: Bob invites Alice as a viewer and she accepts; she may read, not edit.
        await invite_and_accept(
            (bob, bob_csrf), (alice, alice_csrf), inbox, b_tenant, "alice@example.org", "viewer"
        )
        listed = await alice.get(f"/api/tenants/{b_tenant}/agents")
        assert [a["id"] for a in listed.json()["agents"]] == [b_agent]
        edit = await alice.put(
            f"/api/tenants/{b_tenant}/agents/{b_agent}",
            json={"name": "x", "greeting": "y"},
            headers=_csrf_header(alice_csrf),
        )
        assert edit.status_code == 403 and "viewer" in edit.text
        unknown_role = await bob.post(
            f"/api/tenants/{b_tenant}/members",
            json={"email": "carol@example.org", "role": "emperor"},
            headers=_csrf_header(bob_csrf),
        )
        assert unknown_role.status_code == 422 and re.search("unknown role", unknown_role.text)
        await bob.aclose()
