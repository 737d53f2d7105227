"""Secrets stay with their owners: a real ``ringfence serve`` (log level DEBUG, its log in a file
in the data directory, the master key in a directory of its own) goes through sign-up, the
verification link, log-in, a two-step secret, a password reset and log-in again, with a local
SMTP server receiving the e-mails. Then no token, session cookie, reset link or TOTP secret is in
any log line, the processes' output or any file the server wrote, and every such file and
directory is its user's only."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest

from tests.support.mail import Inbox, link_in, smtp_server
from tests.support.server import free_port, running_server

pytestmark = pytest.mark.integration
EMAIL = "ada@example.org"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def _post(client: httpx.AsyncClient, page: str, action: str, **fields: str) -> httpx.Response:
    csrf = _csrf(await client.get(page))
    return await client.post(action, data={"csrf": csrf, **fields})


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def _log_in(client: httpx.AsyncClient, password: str, code: str = "") -> str:
    done = await _post(
        client, "/account/login", "/account/login", email=EMAIL, password=password, code=code
    )
    assert done.status_code == 303, done.text
    return done.cookies["rf_session"]


async def _account_flows(base: str, inbox: Inbox) -> tuple[list[str], list[str]]:
    """Every secret the flows handed out: the links' tokens, session cookies, the two-step
    secret and its sealed offer; and, apart, the CSRF tokens (a session's is kept with it)."""
    secrets: list[str] = []
    csrf: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        form = {"email": EMAIL, "password": PASSWORD, "adult": "true", "terms": "true"}
        signed_up = await _post(client, "/account/signup", "/account/signup", **form)
        assert "Check your e-mail" in signed_up.text, signed_up.text
        verify_link = link_in(await inbox.next())
        secrets.append(_token(verify_link))
        csrf.append(client.cookies["rf_csrf"])
        verified = await client.get(verify_link)
        assert "Address confirmed" in verified.text, verified.text

        secrets.append(await _log_in(client, PASSWORD))
        account = await client.get("/account")
        offer = await client.post("/account/totp", data={"csrf": _csrf(account)})
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', offer.text)
        sealed = re.search(r'name="token" value="([^"]+)"', offer.text)
        assert secret and sealed, offer.text
        secrets += [secret.group(1), sealed.group(1)]
        csrf.append(_csrf(account))
        code = pyotp.TOTP(secret.group(1)).now()
        confirm = {"csrf": _csrf(offer), "token": sealed.group(1), "code": code}
        assert (await client.post("/account/totp/confirm", data=confirm)).status_code == 303

        await _post(client, "/account/reset", "/account/reset", email=EMAIL)
        reset_link = link_in(await inbox.next())
        secrets.append(_token(reset_link))
        new_page = await client.get(reset_link)  # the link as a person opens it
        changed = await client.post(
            "/account/reset/new",
            data={"csrf": _csrf(new_page), "token": _token(reset_link), "password": NEW_PASSWORD},
        )
        assert "Password changed" in changed.text, changed.text
        secrets.append(await _log_in(client, NEW_PASSWORD, pyotp.TOTP(secret.group(1)).now()))
    assert all(len(s) >= 16 for s in secrets + csrf), secrets
    return secrets, csrf


def _private(root: Path) -> list[str]:
    """What under ``root`` others could read: directories not 0700, files not 0600."""
    loose = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted:
            loose.append(f"{path.relative_to(root.parent)} {oct(mode)}")
    return loose


async def test_no_secret_reaches_a_log_or_a_file_and_files_are_private(tmp_path: Path) -> None:
    data, keys, output = tmp_path / "data", tmp_path / "keys", tmp_path / "output.txt"
    port = free_port()
    with smtp_server() as (inbox, smtp_port):
        env = {
            "RINGFENCE_MAIL__SMTP_HOST": "127.0.0.1",
            "RINGFENCE_MAIL__SMTP_PORT": str(smtp_port),
            "RINGFENCE_MAIL__STARTTLS": "false",
            "RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{port}",
            "RINGFENCE_LOG__FILE": str(data / "logs" / "ringfence.log"),
            "RINGFENCE_LOG__LEVEL": "DEBUG",
            "RINGFENCE_PRIVACY__MASTER_KEY_FILE": str(keys / "master.key"),
        }
        with running_server(data, port=port, output=output, **env) as base:
            secrets, csrf = await _account_flows(base, inbox)
            # While it runs (the SQLite -wal and -shm files exist): everything is private.
            assert (data / "ringfence.db-wal").exists() or (data / "ringfence.db").exists()
            assert _private(data) == []
            assert _private(keys) == [] and (keys / "master.key").exists()
            assert not (data / "master.key").exists()

    # The application's log and the access log (the requests are logged there).
    logs = sorted((data / "logs").glob("*.log*"))
    assert any("/account/verify" in log.read_text() for log in logs)
    for path in [output, *logs]:
        text = path.read_text()
        found = [s for s in secrets + csrf if s in text]
        assert found == [], f"{path.relative_to(tmp_path)} logs {len(found)} secret(s)"
    for path in [*data.rglob("*"), *keys.rglob("*")]:
        if path.is_file():
            content = path.read_bytes()
            found = [s for s in secrets if s.encode() in content]
            assert found == [], f"{path.relative_to(tmp_path)} holds {len(found)} secret(s)"
