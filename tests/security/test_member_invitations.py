"""Adding members to a business, tried against the app on a real server with a real SMTP server:
"add member" must not tell whether an address has an account, nor add anyone without their
consent; the mailed link works once, for the account of that address only, and not after the
business cancels it; neither the link nor an invited address is written to a log or a file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringfence.web.app import create_app
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import invitation_token, verified_login
from tests.support.mail import Inbox, link_in, smtp_server
from tests.support.server import free_port, running_server
from tests.support.web import serving

pytestmark = pytest.mark.integration

ADA = "ada@example.org"  # has an account before she is invited
GRACE = "grace@example.org"  # has none when invited; signs up afterwards


def _h(csrf: str) -> dict[str, str]:
    return {"X-CSRF-Token": csrf}


async def _invite(owner: httpx.AsyncClient, csrf: str, tenant: str, email: str) -> httpx.Response:
    return await owner.post(
        f"/api/tenants/{tenant}/members",
        json={"email": email, "role": "viewer"},
        headers=_h(csrf),
    )


async def _token_for(inbox: Inbox, email: str) -> str:
    mail = await inbox.next()
    assert mail["To"] == email and "invited" in mail["Subject"], mail["Subject"]
    return invitation_token(link_in(mail))


async def _member(client: httpx.AsyncClient, tenant: str) -> bool:
    return tenant in {t["id"] for t in (await client.get("/api/tenants")).json()["tenants"]}


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    """A pending invitation without what must differ (its id, address and times)."""
    return {k: v for k, v in row.items() if k not in ("id", "email", "invited_at", "expires_at")}


@ENGINES
async def test_invitations_reveal_no_account_and_add_only_the_right_account_on_accepting(
    make_settings: SettingsFactory, database_url: str
) -> None:
    with smtp_server() as (inbox, port):
        settings = make_settings(
            database_url=database_url,
            mail={"smtp_host": "127.0.0.1", "smtp_port": port, "starttls": False},
            web={"public_url": "http://testserver"},  # links are opened on this server's path
        )
        async with serving(create_app(settings, run_workers=False)) as base:
            clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(4)]
            owner, ada, grace, mallory = clients
            try:
                await _attack(inbox, owner, ada, grace, mallory)
            finally:
                for client in clients:
                    await client.aclose()


async def _attack(
    inbox: Inbox,
    owner: httpx.AsyncClient,
    ada: httpx.AsyncClient,
    grace: httpx.AsyncClient,
    mallory: httpx.AsyncClient,
) -> None:
    owner_csrf = await verified_login(owner, inbox, "owner@example.org")
    ada_csrf = await verified_login(ada, inbox, ADA)
    mallory_csrf = await verified_login(mallory, inbox, "mallory@example.org")
    made = await owner.post("/api/tenants", json={"name": "Corner Shop"}, headers=_h(owner_csrf))
    tenant = made.json()["id"]

    # The same answer whether or not the address has an account; no one is a member yet.
    known = await _invite(owner, owner_csrf, tenant, ADA)
    unknown = await _invite(owner, owner_csrf, tenant, GRACE)
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == 202 and known.json()["invitation"] == "sent"
    ada_token = await _token_for(inbox, ADA)
    grace_token = await _token_for(inbox, GRACE)
    assert not await _member(ada, tenant)
    assert (await ada.get(f"/api/tenants/{tenant}/agents")).status_code == 404

    # Nor does the pending list tell: same fields and values but for the masked address.
    pending = (await owner.get(f"/api/tenants/{tenant}/invitations")).json()["invitations"]
    assert [p["email"] for p in pending] == ["a…@example.org", "g…@example.org"]
    assert _shape(pending[0]) == _shape(pending[1]) == {"role": "viewer"}
    page = (await owner.get(f"/agents/b/{tenant}")).text
    rows = re.findall(r"<tr><td>(.…@example\.org)</td><td>(\w+)</td>", page)
    assert rows == [("a…@example.org", "Viewer"), ("g…@example.org", "Viewer")]
    assert ADA not in page and GRACE not in page

    # A second invitation to the same address while one is pending is refused.
    twice = await _invite(owner, owner_csrf, tenant, ADA)
    assert twice.status_code == 409 and "already pending" in twice.json()["error"]["message"]

    # Another account (another address) cannot use Ada's link, even with it in hand.
    stolen = await mallory.post(
        "/api/invitations/accept", json={"token": ada_token}, headers=_h(mallory_csrf)
    )
    assert stolen.status_code == 403, stolen.text
    assert "another address" in stolen.json()["error"]["message"]
    assert not await _member(mallory, tenant)
    seen = await mallory.get("/agents/invitation", params={"token": ada_token})
    assert seen.status_code == 403 and "Corner Shop" not in seen.text

    # A tampered link is refused.
    flipped = ada_token[:-3] + ("AAA" if not ada_token.endswith("AAA") else "BBB")
    for bad in (flipped, "x" * 40, ""):
        tampered = await ada.post(
            "/api/invitations/accept", json={"token": bad}, headers=_h(ada_csrf)
        )
        assert tampered.status_code in (403, 422), tampered.text
        assert tampered.json()["error"]["message"]
    assert not await _member(ada, tenant)

    # Ada sees who invites her and in which role, accepts: now, and only now, a member.
    shown = await ada.get("/agents/invitation", params={"token": ada_token})
    assert shown.status_code == 200 and 'id="business">Corner Shop<' in shown.text
    assert 'id="invited-role" data-role="viewer">Viewer<' in shown.text
    accepted = await ada.post(
        "/api/invitations/accept", json={"token": ada_token}, headers=_h(ada_csrf)
    )
    assert accepted.status_code == 200 and accepted.json()["tenant"] == tenant
    assert await _member(ada, tenant)
    assert (await ada.get(f"/api/tenants/{tenant}/agents")).status_code == 200

    # The link was spent: used again (to accept or to decline) it is refused.
    for verb in ("accept", "decline"):
        reused = await ada.post(
            f"/api/invitations/{verb}", json={"token": ada_token}, headers=_h(ada_csrf)
        )
        assert reused.status_code in (403, 404), reused.text
    members = await owner.get(f"/agents/b/{tenant}")
    assert members.text.count(f"<td>{ADA}</td>") == 1

    # Grace signs up after the invitation; the link still works, on the page; she declines.
    signed_out = await grace.get("/agents/invitation", params={"token": grace_token})
    assert signed_out.status_code == 200 and 'id="sign-in"' in signed_out.text
    assert "Corner Shop" not in signed_out.text
    await verified_login(grace, inbox, GRACE)
    page = await grace.get("/agents/invitation", params={"token": grace_token})
    assert page.status_code == 200 and 'id="business">Corner Shop<' in page.text
    form = dict(re.findall(r'name="(csrf|token)" value="([^"]+)"', page.text))
    declined = await grace.post("/agents/invitation", data={**form, "choice": "decline"})
    assert declined.status_code == 303 and declined.headers["location"] == "/agents"
    assert not await _member(grace, tenant)
    again = await grace.post("/agents/invitation", data={**form, "choice": "accept"})
    assert again.status_code in (403, 404) and not await _member(grace, tenant)

    # The business cancels an invitation: its link opens nothing.
    await _invite(owner, owner_csrf, tenant, "hedy@example.org")
    hedy_token = await _token_for(inbox, "hedy@example.org")
    hedy = httpx.AsyncClient(base_url=str(owner.base_url), timeout=60)
    try:
        hedy_csrf = await verified_login(hedy, inbox, "hedy@example.org")
        (invitation,) = (await owner.get(f"/api/tenants/{tenant}/invitations")).json()[
            "invitations"
        ]
        outsider = await mallory.delete(
            f"/api/tenants/{tenant}/invitations/{invitation['id']}", headers=_h(mallory_csrf)
        )
        assert outsider.status_code == 404
        cancelled = await owner.delete(
            f"/api/tenants/{tenant}/invitations/{invitation['id']}", headers=_h(owner_csrf)
        )
        assert cancelled.status_code == 200
        late = await hedy.post(
            "/api/invitations/accept", json={"token": hedy_token}, headers=_h(hedy_csrf)
        )
        assert late.status_code == 404 and not await _member(hedy, tenant)
        listed = await owner.get(f"/api/tenants/{tenant}/invitations")
        assert listed.json() == {"invitations": []}
    finally:
        await hedy.aclose()


async def test_no_invitation_link_or_invited_address_reaches_a_log_or_a_file(
    tmp_path: Path,
) -> None:
    data, output = tmp_path / "data", tmp_path / "output.txt"
    port = free_port()
    with smtp_server() as (inbox, smtp_port):
        env = {
            "RINGFENCE_MAIL__SMTP_HOST": "127.0.0.1",
            "RINGFENCE_MAIL__SMTP_PORT": str(smtp_port),
            "RINGFENCE_MAIL__STARTTLS": "false",
            "RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{port}",
            "RINGFENCE_LOG__FILE": str(data / "logs" / "ringfence.log"),
            "RINGFENCE_LOG__LEVEL": "DEBUG",
        }
        with running_server(data, port=port, output=output, **env) as base:
            async with (
                httpx.AsyncClient(base_url=base, timeout=60) as owner,
                httpx.AsyncClient(base_url=base, timeout=60) as hedy,
            ):
                owner_csrf = await verified_login(owner, inbox, "owner@example.org")
                hedy_csrf = await verified_login(hedy, inbox, "hedy@example.org")
                made = await owner.post(
                    "/api/tenants", json={"name": "Corner Shop"}, headers=_h(owner_csrf)
                )
                tenant = made.json()["id"]
                # An address without an account: only its hash and masked form are kept.
                assert (await _invite(owner, owner_csrf, tenant, GRACE)).status_code == 202
                grace_token = await _token_for(inbox, GRACE)
                await _invite(owner, owner_csrf, tenant, "hedy@example.org")
                hedy_link = link_in(await inbox.next())
                hedy_token = invitation_token(hedy_link)
                page = await hedy.get(hedy_link)  # the link as a person opens it
                assert page.status_code == 200, page.text
                form = dict(re.findall(r'name="(csrf|token)" value="([^"]+)"', page.text))
                assert form["csrf"] == hedy_csrf
                accepted = await hedy.post("/agents/invitation", data={**form, "choice": "accept"})
                assert accepted.status_code == 303 and await _member(hedy, tenant)

    # The application's log and the access log (the requests are logged there).
    logs = sorted((data / "logs").glob("*.log*"))
    assert any("/agents/invitation" in log.read_text() for log in logs)
    for path in [output, *logs, *data.rglob("*")]:
        if path.is_file():
            content = path.read_bytes()
            found = [s for s in (grace_token, hedy_token, GRACE) if s.encode() in content]
            assert found == [], f"{path.relative_to(tmp_path)} holds {found!r}"
