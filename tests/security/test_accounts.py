"""Account takeover and enumeration, tried against the app on a real server: concurrent password
guesses, and pages that would tell whether an e-mail address has an account."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.accounts import EMAIL, PASSWORD
from tests.support.mail import Inbox, link_in, smtp_server
from tests.support.web import serving

pytestmark = pytest.mark.integration


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def _post(client: httpx.AsyncClient, page: str, action: str, **fields: str) -> httpx.Response:
    csrf = _csrf(await client.get(page))
    return await client.post(action, data={"csrf": csrf, **fields})


async def _sign_up(client: httpx.AsyncClient, email: str) -> httpx.Response:
    form = {"email": email, "password": PASSWORD, "adult": "true", "terms": "true"}
    return await _post(client, "/account/signup", "/account/signup", **form)


async def _verified(client: httpx.AsyncClient, inbox: Inbox) -> None:
    assert (await _sign_up(client, EMAIL)).status_code == 200
    link = httpx.URL(link_in(await inbox.next()))
    confirmed = await client.get(link.raw_path.decode())  # on this server, whatever the host
    assert "Address confirmed" in confirmed.text


def _page_text(response: httpx.Response) -> str:
    """The page without its per-request CSRF token."""
    return re.sub(r'value="[^"]{20,}"', "", response.text)


async def test_concurrent_wrong_passwords_are_all_counted(
    make_settings: SettingsFactory, database_url: str
) -> None:
    with smtp_server() as (inbox, port):
        settings = make_settings(
            database_url=database_url,
            mail={"smtp_host": "127.0.0.1", "smtp_port": port, "starttls": False},
            accounts={"logins_per_email": 5, "logins_per_ip": 100},
        )
        async with serving(create_app(settings, run_workers=False)) as base:
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                await _verified(client, inbox)

                async def guess(i: int) -> int:
                    async with httpx.AsyncClient(base_url=base, timeout=60) as own:
                        form = {"email": EMAIL, "password": f"wrong guess {i}"}
                        response = await _post(own, "/account/login", "/account/login", **form)
                        return response.status_code

                codes = await asyncio.gather(*(guess(i) for i in range(12)))
                assert sorted(codes) == [403] * 5 + [429] * 7, codes
                # The right password is refused too now: the address is limited.
                form = {"email": EMAIL, "password": PASSWORD}
                late = await _post(client, "/account/login", "/account/login", **form)
                assert late.status_code == 429


async def test_sign_up_and_reset_answer_the_same_for_any_address(
    make_settings: SettingsFactory, database_url: str
) -> None:
    with smtp_server() as (inbox, port):
        settings = make_settings(
            database_url=database_url,
            mail={"smtp_host": "127.0.0.1", "smtp_port": port, "starttls": False},
        )
        async with serving(create_app(settings, run_workers=False)) as base:
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                await _verified(client, inbox)
                taken = await _sign_up(client, EMAIL)
                new = await _sign_up(client, "grace@example.org")
                assert taken.status_code == new.status_code == 200
                assert _page_text(taken).replace(EMAIL.lower(), "@") == _page_text(new).replace(
                    "grace@example.org", "@"
                )
                # The owner of the taken address is told; the page told nobody.
                mails = {(await inbox.next())["Subject"] for _ in range(2)}
                assert mails == {
                    "You already have a ringfence account",
                    "Confirm your e-mail address",
                }

                known = await _post(client, "/account/reset", "/account/reset", email=EMAIL)
                unknown = await _post(
                    client, "/account/reset", "/account/reset", email="nobody@example.org"
                )
                assert known.status_code == unknown.status_code == 200
                assert _page_text(known).replace(EMAIL, "@") == _page_text(unknown).replace(
                    "nobody@example.org", "@"
                )
                assert (await inbox.next())["Subject"] == "Reset your password"
                assert inbox.empty()
