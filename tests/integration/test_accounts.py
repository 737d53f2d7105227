"""Accounts through their pages, with a local SMTP server receiving the e-mails."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pyotp
import pytest
from sqlalchemy import select

from ringfence.accounts.addresses import Addresses
from ringfence.accounts.models import Account, AccountSession
from ringfence.accounts.outbox import Outbox
from ringfence.privacy.core import Privacy
from ringfence.privacy.crypto import KeyDestroyed
from ringfence.privacy.models import ConsentRecord
from ringfence.store import Database
from ringfence.testing import FakeClock
from ringfence.web.app import create_app
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import (
    EMAIL,
    PASSWORD,
    _csrf,
    _log_in,
    _post,
    _sign_up,
    path_of,
    site,
)
from tests.support.mail import link_in, smtp_server
from tests.support.scan import tables_holding
from tests.support.server import free_port
from tests.support.web import client_for

pytestmark = pytest.mark.integration


async def test_sign_up_verify_log_in_and_log_out_everywhere(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, inbox, _):
        link = await _sign_up(client, inbox)
        early = await _log_in(client)
        assert early.status_code == 403 and "confirm your e-mail" in early.text
        verified = await client.get(link.removeprefix("http://testserver"))
        assert "Address confirmed" in verified.text
        response = await _log_in(client)
        assert response.status_code == 303 and response.headers["location"] == "/account"
        cookie = response.headers["set-cookie"]
        assert "rf_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        page = await client.get("/account")
        assert "ada@example.org" in page.text

        # A second device, then "log out on every device" ends both.
        other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        assert (await _log_in(other)).status_code == 303
        forged = await client.post("/account/logout-everywhere", data={"csrf": "forged"})
        assert forged.status_code == 403 and "another site" in forged.text
        await client.post("/account/logout-everywhere", data={"csrf": _csrf(page)})
        assert (await other.get("/account")).headers.get("location") == "/account/login"
        assert (await client.get("/account")).status_code == 303
        await other.aclose()


async def test_bad_sign_ups_are_refused_with_reasons(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, inbox, _):
        await _sign_up(client, inbox)
        cases = {
            ("not-an-address", PASSWORD, "true", "true"): "not an e-mail address",
            ("b@example.org", "short", "true", "true"): "at least 10 characters",
            ("b@example.org", PASSWORD, "false", "true"): "18 or over",
            ("b@example.org", PASSWORD, "true", "false"): "accept the terms",
        }
        for (email, password, adult, terms), message in cases.items():
            form = {"email": email, "password": password, "adult": adult, "terms": terms}
            response = await _post(client, "/account/signup", "/account/signup", **form)
            assert response.status_code == 422 and message in response.text, message
        assert inbox.empty()
        no_csrf = await client.post("/account/signup", data={"email": "c@example.org",
                                    "password": PASSWORD, "csrf": "x"})  # fmt: skip
        assert no_csrf.status_code == 403


async def test_failed_logins_are_limited(make_settings: SettingsFactory, database_url: str) -> None:
    async with site(make_settings, database_url) as (client, inbox, _):
        await client.get((await _sign_up(client, inbox)).removeprefix("http://testserver"))
        for _ in range(5):
            wrong = await _post(
                client, "/account/login", "/account/login", email=EMAIL, password="wrong-one!"
            )
            assert wrong.status_code == 403 and "wrong e-mail, password or code" in wrong.text
        limited = await _log_in(client)
        assert limited.status_code == 429 and "too many failed sign-ins" in limited.text
        unknown = await _post(
            client, "/account/login", "/account/login", email="nobody@example.org", password="x"
        )
        assert unknown.status_code == 403 and "wrong e-mail, password or code" in unknown.text


async def test_password_reset_works_once_and_signs_out_everywhere(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, inbox, _):
        await client.get((await _sign_up(client, inbox)).removeprefix("http://testserver"))
        assert (await _log_in(client)).status_code == 303
        asked = await _post(client, "/account/reset", "/account/reset", email="nobody@x.org")
        assert "Check your e-mail" in asked.text and inbox.empty()  # the same answer, no mail
        await _post(client, "/account/reset", "/account/reset", email=EMAIL)
        link = link_in(await inbox.next()).removeprefix("http://testserver")
        token = link.split("token=", 1)[1]
        new = {"token": token, "password": "a brand new passphrase"}
        changed = await _post(client, link, "/account/reset/new", **new)
        assert "Password changed" in changed.text
        assert (await client.get("/account")).status_code == 303  # the old session is gone
        again = await _post(client, link, "/account/reset/new", **new)
        assert again.status_code == 403 and "already been used" in again.text
        ok = await _post(
            client,
            "/account/login",
            "/account/login",
            email=EMAIL,
            password="a brand new passphrase",
        )
        assert ok.status_code == 303


async def test_two_step_sign_in_with_totp(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, inbox, settings):
        await client.get((await _sign_up(client, inbox)).removeprefix("http://testserver"))
        await _log_in(client)
        offer = await _post(client, "/account", "/account/totp")
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', offer.text)
        assert secret and "otpauth://totp/" in offer.text
        token = re.search(r'name="token" value="([^"]+)"', offer.text)
        assert token
        wrong = await client.post(
            "/account/totp/confirm",
            data={"csrf": _csrf(offer), "token": token.group(1), "code": "000000"},
        )
        assert wrong.status_code == 422 and "not right" in wrong.text
        code = pyotp.TOTP(secret.group(1)).now()
        await client.post(
            "/account/totp/confirm",
            data={"csrf": _csrf(offer), "token": token.group(1), "code": code},
        )
        assert 'id="totp-on"' in (await client.get("/account")).text
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as session:
                stored = await session.scalar(select(Account.totp_secret))
            assert stored is not None and secret.group(1).encode() not in stored  # encrypted
        finally:
            await db.dispose()
        fresh = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        asked = await _log_in(fresh)
        assert asked.status_code == 422 and "6-digit code" in asked.text
        assert (await _log_in(fresh, code="123456")).status_code == 403
        assert (await _log_in(fresh, code=pyotp.TOTP(secret.group(1)).now())).status_code == 303
        await fresh.aclose()


@ENGINES
async def test_deleting_the_account_erases_it_and_sessions_are_swept(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url) as (client, inbox, settings):
        await client.get((await _sign_up(client, inbox)).removeprefix("http://testserver"))
        await client.get((await _sign_up(client, inbox, "bob@example.org")).removeprefix(
            "http://testserver"))  # fmt: skip
        other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
        await _log_in(other, email="bob@example.org")
        await other.aclose()
        await _log_in(client)
        db = Database(settings.resolved_database_url)
        try:
            privacy = Privacy(settings, db)
            addresses = Addresses.of(privacy)
            async with db.session() as session:
                ada = await session.scalar(
                    select(Account).where(addresses.holder("ada@example.org"))
                )
                assert ada is not None
                ref, sealed = ada.subject_ref, ada.email
                exported = await privacy.rights("v").export(session, str(ref))
            assert b"ada@example.org" not in sealed  # the stored address is a ciphertext
            async with db.engine.connect() as conn:  # nor is it in any other row, as text
                assert await tables_holding(conn, "ada@example.org") == []
            assert exported["data"]["account"]["records"][0]["email"] == "ada@example.org"
            assert "password_hash" in exported["data"]["account"]["records"][0]
            assert len(exported["data"]["account_session"]["records"]) == 1
            assert {r["purpose"] for r in exported["data"]["consent_record"]["records"]} == {
                "adult",
                "terms",
            }
            wrong = await _post(client, "/account", "/account/delete", password="nope-nope-nope")
            assert wrong.status_code == 403
            deleted = await _post(client, "/account", "/account/delete", password=PASSWORD)
            assert "Your account is deleted" in deleted.text
            assert (await _log_in(client)).status_code == 403
            async with db.session() as session:
                left = (await session.scalars(select(Account))).all()
                emails = list((await addresses.read_many(session, left)).values())
                consents = (await session.scalars(select(ConsentRecord.subject_ref))).all()
                with pytest.raises(KeyDestroyed):  # a copy of the old row is unreadable too
                    await privacy.vault.decrypt(session, str(ref), sealed)
            assert emails == ["bob@example.org"] and str(ref) not in consents
            later = FakeClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
            swept = await Privacy(settings, db, later).sweeper().sweep()
            assert swept.counts["account_session"] == 1  # bob's, unused for 31 days
            async with db.session() as session:
                assert (await session.scalars(select(AccountSession))).all() == []
        finally:
            await db.dispose()


def _resend_token(page: httpx.Response) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page.text)
    assert found and 'action="/account/verify/again"' in page.text, page.text
    return found.group(1)


async def _resend(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await _post(client, "/account/login", "/account/verify/again", token=token)


async def test_a_default_server_keeps_the_link_in_the_operators_outbox(
    make_settings: SettingsFactory, database_url: str
) -> None:
    """No SMTP: the sign-up works, the page says where the link went, an unconfirmed sign-in
    offers to send it again (a few times an hour), and the link from the outbox confirms."""
    settings = make_settings(database_url=database_url, web={"public_url": "http://testserver"})
    outbox = Outbox(settings.data_dir)
    async with client_for(create_app(settings, run_workers=False)) as client:
        form = {"email": EMAIL, "password": PASSWORD, "adult": "true", "terms": "true"}
        signed_up = await _post(client, "/account/signup", "/account/signup", **form)
        assert signed_up.status_code == 200
        assert "outbox of the operator" in signed_up.text and "ringfence outbox" in signed_up.text
        (first,) = outbox.newest(5)
        assert first.to == "ada@example.org" and "/account/verify?token=" in first.body

        refused = await _log_in(client)
        assert refused.status_code == 403 and "confirm your e-mail" in refused.text
        token = _resend_token(refused)
        wrong = await _post(
            client, "/account/login", "/account/login", email=EMAIL, password="wrong-one!"
        )
        assert 'action="/account/verify/again"' not in wrong.text  # the password first

        again = await _resend(client, token)
        assert again.status_code == 200 and "the link to confirm your address is" in again.text
        assert len(outbox.newest(5)) == 2
        for _ in range(2):
            assert (await _resend(client, token)).status_code == 200
        limited = await _resend(client, token)
        assert limited.status_code == 429 and "wait an hour" in limited.text
        assert len(outbox.newest(10)) == 4
        forged = await _resend(client, token[:-4] + "AAAA")
        assert forged.status_code in (403, 422) and len(outbox.newest(10)) == 4

        link = re.search(r"https?://\S+", outbox.newest(1)[0].body)
        assert link is not None
        assert "Address confirmed" in (await client.get(path_of(link.group(0)))).text
        assert (await _log_in(client)).status_code == 303
        done = await _resend(client, token)
        assert done.status_code == 422 and "already confirmed" in done.text


async def test_an_smtp_server_that_refuses_leaves_no_stuck_account(
    make_settings: SettingsFactory, database_url: str
) -> None:
    port = free_port()
    settings = make_settings(
        database_url=database_url,
        mail={"smtp_host": "127.0.0.1", "smtp_port": port},
        web={"public_url": "http://testserver"},
    )
    async with client_for(create_app(settings, run_workers=False)) as client:
        assert 'id="outbox-note"' not in (await client.get("/account/signup")).text
        form = {"email": EMAIL, "password": PASSWORD, "adult": "true", "terms": "true"}
        signed_up = await _post(client, "/account/signup", "/account/signup", **form)
        assert signed_up.status_code == 200 and "could not be sent" in signed_up.text
        token = _resend_token(await _log_in(client))
        down = await _resend(client, token)
        assert down.status_code == 503 and "try again later" in down.text
        with smtp_server(port=port) as (inbox, _):
            assert (await _resend(client, token)).status_code == 200
            link = link_in(await inbox.next())
        assert "Address confirmed" in (await client.get(path_of(link))).text
        assert (await _log_in(client)).status_code == 303
