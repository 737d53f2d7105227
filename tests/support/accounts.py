"""Accounts in tests: a site with a local SMTP server, signing up, verifying and logging in
through the real pages."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select

from ringfence.accounts.addresses import Addresses
from ringfence.accounts.models import Account
from ringfence.privacy.core import Privacy
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.mail import Inbox, link_in, smtp_server
from tests.support.web import client_for

EMAIL = "Ada@Example.org"
PASSWORD = "correct horse battery"


@asynccontextmanager
async def site(
    make_settings: SettingsFactory, database_url: str, **extra: Any
) -> AsyncIterator[
    tuple[httpx.AsyncClient, Inbox, Settings]
]:  # fmt: skip
    with smtp_server() as (inbox, port):
        settings = make_settings(
            database_url=database_url,
            mail={"smtp_host": "127.0.0.1", "smtp_port": port, "starttls": False},
            web={"public_url": "http://testserver"},
            **extra,
        )
        async with client_for(create_app(settings, run_workers=False)) as client:
            yield client, inbox, settings


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def _post(client: httpx.AsyncClient, form_page: str, action: str, **fields: Any) -> Any:
    csrf = _csrf(await client.get(form_page))
    return await client.post(action, data={"csrf": csrf, **fields})


async def _sign_up(client: httpx.AsyncClient, inbox: Inbox, email: str = EMAIL) -> str:
    form = {"email": email, "password": PASSWORD, "adult": "true", "terms": "true"}
    response = await _post(client, "/account/signup", "/account/signup", **form)
    assert response.status_code == 200 and "Check your e-mail" in response.text
    mail = await inbox.next()
    assert mail["To"] == email.lower() and "Confirm" in mail["Subject"]
    return link_in(mail)


async def _log_in(client: httpx.AsyncClient, code: str = "", email: str = EMAIL) -> Any:
    form = {"email": email, "password": PASSWORD, "code": code}
    return await _post(client, "/account/login", "/account/login", **form)


async def verified_login(client: httpx.AsyncClient, inbox: Inbox, email: str = EMAIL) -> str:
    """Sign up, open the verification link, log in; the session's CSRF token."""
    await client.get(path_of(await _sign_up(client, inbox, email)))
    await _log_in(client, email=email)
    return _csrf(await client.get("/account"))


def path_of(link: str) -> str:
    return link.removeprefix("http://testserver")


async def invite_and_accept(
    business: tuple[httpx.AsyncClient, str],
    member: tuple[httpx.AsyncClient, str],
    inbox: Inbox,
    tenant: str,
    email: str,
    role: str,
) -> None:
    """Invite ``email`` to ``tenant`` in ``role`` (as the signed-in ``business`` client and its
    CSRF token) and accept the mailed link as ``member``, through the real routes."""
    owner, owner_csrf = business
    sent = await owner.post(
        f"/api/tenants/{tenant}/members",
        json={"email": email, "role": role},
        headers={"X-CSRF-Token": owner_csrf},
    )
    assert sent.status_code == 202, sent.text
    mail = await inbox.next()
    assert mail["To"] == email.lower(), mail["To"]
    token = invitation_token(link_in(mail))
    client, csrf = member
    accepted = await client.post(
        "/api/invitations/accept", json={"token": token}, headers={"X-CSRF-Token": csrf}
    )
    assert accepted.status_code == 200, accepted.text


def invitation_token(link: str) -> str:
    return httpx.URL(link).params["token"]


async def account_of(settings: Settings, db: Database, email: str) -> Account | None:
    """The account of an address, found the one way the code finds it (its keyed hash)."""
    addresses = Addresses.of(Privacy(settings, db))
    async with db.session() as session:
        found: Account | None = await session.scalar(select(Account).where(addresses.holder(email)))
    return found


async def address_of(settings: Settings, db: Database, account: Account) -> str:
    """An account's address, decrypted the one way the code does."""
    async with db.session() as session:
        return await Addresses.of(Privacy(settings, db)).read(session, account)


async def add_account(settings: Settings, db: Database, email: str, **fields: Any) -> Account:
    """An account stored as sign-up stores one (its address encrypted, its keyed hash), for
    tests that need one without the pages."""
    now = dt.datetime.now(dt.UTC)
    account = Account(id=uuid.uuid4().hex, password_hash="x", created_at=now, **fields)
    account.subject_ref = f"account:{account.id}"
    async with db.session() as session:
        await Addresses.of(Privacy(settings, db)).write(session, account, email)
        session.add(account)
    return account
