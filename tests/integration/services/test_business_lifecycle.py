"""Members leave or are removed and a business always keeps an owner; an owner, or the operator
from the console, closes a business: on a real server, through the API and the console's forms."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from ringfence.privacy.models import AuditEntry
from ringfence.store import Database
from ringfence.tenants.models import Tenant
from tests.conftest import SettingsFactory
from tests.support.accounts import PASSWORD, invite_and_accept, verified_login
from tests.support.admin import client, console_site, csrf_of, operator_login

pytestmark = pytest.mark.integration


def _h(csrf: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf}


async def _business(owner: httpx.AsyncClient, csrf: str, name: str) -> tuple[str, str]:
    made = await owner.post("/api/tenants", json={"name": name}, headers=_h(csrf))
    assert made.status_code == 201, made.text
    agent = await owner.post(
        f"/api/tenants/{made.json()['id']}/agents",
        json={"name": "Desk", "greeting": "Hello"},
        headers=_h(csrf),
    )
    assert agent.status_code == 201, agent.text
    return made.json()["id"], agent.json()["id"]


async def _members(owner: httpx.AsyncClient, tenant: str) -> dict[str, str]:
    listed = await owner.get(f"/api/tenants/{tenant}/members")
    assert listed.status_code == 200, listed.text
    return {m["email"]: m["id"] for m in listed.json()["members"]}


async def test_members_leave_or_are_removed_and_a_business_always_keeps_an_owner(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with (
        console_site(make_settings, database_url) as (base, inbox),
        client(base) as bob,
        client(base) as alice,
        client(base) as carol,
    ):
        bob_csrf = await verified_login(bob, inbox, "bob@example.org")
        alice_csrf = await verified_login(alice, inbox, "alice@example.org")
        carol_csrf = await verified_login(carol, inbox, "carol@example.org")
        tenant, agent = await _business(bob, bob_csrf, "Bob Garage")
        await invite_and_accept(
            (bob, bob_csrf), (alice, alice_csrf), inbox, tenant, "alice@example.org", "admin"
        )
        ids = await _members(bob, tenant)

        # An admin does not remove an owner; nobody removes themselves (they leave).
        refused = await alice.delete(
            f"/api/tenants/{tenant}/members/{ids['bob@example.org']}", headers=_h(alice_csrf)
        )
        assert refused.status_code == 403 and "only an owner" in refused.text
        own = await alice.delete(
            f"/api/tenants/{tenant}/members/{ids['alice@example.org']}", headers=_h(alice_csrf)
        )
        assert own.status_code == 422 and "Leave" in own.text
        no_csrf = await bob.delete(f"/api/tenants/{tenant}/members/{ids['alice@example.org']}")
        assert no_csrf.status_code == 403

        # The last owner can neither leave nor delete the account.
        leaving = await bob.post(f"/api/tenants/{tenant}/leave", headers=_h(bob_csrf))
        assert leaving.status_code == 409 and "Bob Garage would have no owner" in leaving.text
        page = await bob.get("/account")
        deleting = await bob.post(
            "/account/delete", data={"csrf": csrf_of(page), "password": PASSWORD}
        )
        assert deleting.status_code == 409, deleting.text
        assert "Bob Garage would have no owner" in deleting.text
        assert (await bob.get("/account")).status_code == 200  # still signed in: not deleted

        # The owner removes the admin: she no longer sees the business.
        removed = await bob.delete(
            f"/api/tenants/{tenant}/members/{ids['alice@example.org']}", headers=_h(bob_csrf)
        )
        assert removed.status_code == 200, removed.text
        assert (await alice.get("/api/tenants")).json()["tenants"] == []
        assert (await alice.get(f"/api/tenants/{tenant}/agents")).status_code == 404

        # Handed over: Carol accepts as owner, then Bob may leave.
        await invite_and_accept(
            (bob, bob_csrf), (carol, carol_csrf), inbox, tenant, "carol@example.org", "owner"
        )
        left = await bob.post(f"/api/tenants/{tenant}/leave", headers=_h(bob_csrf))
        assert left.status_code == 200, left.text
        assert list(await _members(carol, tenant)) == ["carol@example.org"]

        # Carol closes it: the name must be typed; then it is read-only until it is purged.
        wrong = await carol.post(
            f"/api/tenants/{tenant}/close", json={"confirm": "Bob"}, headers=_h(carol_csrf)
        )
        assert wrong.status_code == 422 and "type the business's name" in wrong.text
        closed = await carol.post(
            f"/api/tenants/{tenant}/close", json={"confirm": "bob garage"}, headers=_h(carol_csrf)
        )
        assert closed.status_code == 200, closed.text
        edit = await carol.put(
            f"/api/tenants/{tenant}/agents/{agent}",
            json={"name": "x", "greeting": "y"},
            headers=_h(carol_csrf),
        )
        assert edit.status_code == 409 and "this business is closed" in edit.text
        assert (await carol.get(f"/api/tenants/{tenant}/agents")).status_code == 200
        talk = await carol.post(
            f"/api/tenants/{tenant}/agents/{agent}/talk",
            json={"sdp": "v=0\r\n"},
            headers=_h(carol_csrf),
        )
        assert talk.status_code == 409 and "do not talk" in talk.text
        (mine,) = (await carol.get("/api/tenants")).json()["tenants"]
        assert mine["purge_at"] == closed.json()["purge_at"]
        business = await carol.get(f"/agents/b/{tenant}")
        assert business.status_code == 200 and 'id="closed"' in business.text
        assert 'id="close"' not in business.text and 'id="new-agent"' not in business.text

        # Alone owning a closed business, Carol may delete her account.
        page = await carol.get("/account")
        gone = await carol.post(
            "/account/delete", data={"csrf": csrf_of(page), "password": PASSWORD}
        )
        assert gone.status_code == 200, gone.text

    db = Database(database_url)
    try:
        async with db.session() as session:
            actions = (await session.scalars(select(AuditEntry.action))).all()
    finally:
        await db.dispose()
    for action in ("tenant.member.removed", "tenant.member.left", "tenant.closed"):
        assert action in actions


async def test_the_operator_closes_a_business_from_the_console(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with (
        console_site(make_settings, database_url) as (base, inbox),
        client(base) as operator,
        client(base) as bob,
    ):
        bob_csrf = await verified_login(bob, inbox, "bob@example.org")
        tenant, agent = await _business(bob, bob_csrf, "Bob Garage")
        csrf = await operator_login(operator)
        listed = await operator.get("/admin/tenants")
        assert f'action="/admin/tenants/{tenant}/close"' in listed.text

        wrong = await operator.post(
            f"/admin/tenants/{tenant}/close", data={"csrf": csrf, "confirm": "Bob's"}
        )
        assert wrong.status_code == 422 and "type the business" in wrong.text
        forged = await operator.post(
            f"/admin/tenants/{tenant}/close", data={"csrf": "forged", "confirm": "Bob Garage"}
        )
        assert forged.status_code == 403
        closing = await bob.post(  # a member is no operator
            f"/admin/tenants/{tenant}/close", data={"csrf": bob_csrf, "confirm": "Bob Garage"}
        )
        assert closing.status_code in (403, 404)

        done = await operator.post(
            f"/admin/tenants/{tenant}/close", data={"csrf": csrf, "confirm": "Bob Garage"}
        )
        assert done.status_code == 303 and done.headers["location"].endswith("done=closed")
        page = await operator.get(done.headers["location"])
        assert "The business is closed" in page.text and "data deleted" in page.text
        reinstate = await operator.post(
            f"/admin/tenants/{tenant}/suspend", data={"csrf": csrf, "action": "reinstate"}
        )
        assert reinstate.status_code == 409 and "this business is closed" in reinstate.text
        edit = await bob.put(
            f"/api/tenants/{tenant}/agents/{agent}",
            json={"name": "x", "greeting": "y"},
            headers=_h(bob_csrf),
        )
        assert edit.status_code == 409

    db = Database(database_url)
    try:
        async with db.session() as session:
            found = await session.get(Tenant, tenant)
            entry = await session.scalar(
                select(AuditEntry).where(AuditEntry.action == "tenant.closed")
            )
    finally:
        await db.dispose()
    assert found is not None and found.closed_at is not None and found.purge_at is not None
    assert entry is not None and entry.actor_kind == "operator"
