"""The operator console in tests: an operator account made as ``ringfence admin create`` makes
it, signed in through the real login page, and the CSRF token of a console page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from ringfence.accounts.service import Accounts
from ringfence.privacy.core import Privacy
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.mail import Inbox, smtp_server
from tests.support.web import serving

OPERATOR = "operator@example.org"
OPERATOR_PASSWORD = "operator password 42"


async def make_operator(settings: Settings, email: str = OPERATOR) -> None:
    db = Database(settings.resolved_database_url)
    try:
        operators = Accounts(settings, Privacy(settings, db)).operators()
        await operators.create(email, OPERATOR_PASSWORD, via="cli")
    finally:
        await db.dispose()


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def operator_login(client: httpx.AsyncClient, email: str = OPERATOR) -> str:
    """Sign ``client`` in as the operator; the session's CSRF token."""
    form = csrf_of(await client.get("/account/login"))
    signed_in = await client.post(
        "/account/login", data={"csrf": form, "email": email, "password": OPERATOR_PASSWORD}
    )
    assert signed_in.status_code == 303, signed_in.text
    console = await client.get("/admin")
    assert console.status_code == 200, console.text
    return csrf_of(console)


@asynccontextmanager
async def console_site(
    make_settings: SettingsFactory, database_url: str, **extra: Any
) -> AsyncIterator[tuple[str, Inbox]]:
    """The app on a real uvicorn server, with a local SMTP server for sign-ups and an operator
    account; its base URL and the inbox."""
    with smtp_server() as (inbox, port):
        settings = make_settings(
            database_url=database_url,
            mail={"smtp_host": "127.0.0.1", "smtp_port": port, "starttls": False},
            web={"public_url": "http://testserver"},
            **extra,
        )
        await make_operator(settings)
        async with serving(create_app(settings, run_workers=False)) as base:
            yield base, inbox


@asynccontextmanager
async def client(base: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as made:
        yield made
