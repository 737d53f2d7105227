"""The operator console against a real ``ringfence serve``.

- Every console page and action is for operator accounts only: signed out, 403; signed in as
  anyone else, 404 (the console is not even admitted to exist), services' sections included.
- The first-run setup page exists only while there is no operator; it answers only the server
  itself (127.0.0.1 with no proxy's forwarding header), never another address (127.0.0.2), nor a
  request relayed by a local proxy; with the operator token set, only a form that carries it.
- Actions need the session's CSRF token; a form from another session's token is refused.
- ``ringfence admin create`` makes the operator on the server; the last one cannot be revoked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.mail import Inbox, link_in, smtp_server
from tests.support.server import REPO, free_port, running_server

pytestmark = pytest.mark.integration
TOKEN = "operator-token-5b1d8e2c7a"
OPERATOR, PASSWORD = "root@example.org", "a strong operator password"
USER, USER_PASSWORD = "user@example.org", "correct horse battery"
PAGES = (
    "/admin",
    "/admin/carriers",
    "/admin/rates",
    "/admin/users",
    "/admin/tenants",
    "/admin/rights",
    "/admin/retention",
    "/admin/jobs",
    "/admin/roulette",
)
ACTIONS = (
    "/admin/carriers/test-call",
    "/admin/rates",
    "/admin/rates/remove",
    "/admin/users/0123456789abcdef0123456789abcdef/credit",
    "/admin/users/0123456789abcdef0123456789abcdef/suspend",
    "/admin/users/0123456789abcdef0123456789abcdef/delete",
    "/admin/tenants/x/suspend",
    "/admin/retention/sweep",
    "/admin/jobs/x/retry",
    "/admin/roulette/lift",
    "/admin/roulette/appeals/0123456789abcdef0123456789abcdef",
)


def _from(source: str, base: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=base, transport=transport, timeout=60)


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


@contextmanager
def _server(tmp_path: Path, **env: str) -> Iterator[tuple[str, Inbox, dict[str, str]]]:
    port = free_port()
    with smtp_server() as (inbox, mail_port):
        full = {
            "RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{port}",
            "RINGFENCE_MAIL__SMTP_HOST": "127.0.0.1",
            "RINGFENCE_MAIL__SMTP_PORT": str(mail_port),
            "RINGFENCE_MAIL__STARTTLS": "false",
            **env,
        }
        with running_server(tmp_path / "data", port=port, **full) as base:
            yield base, inbox, {**full, "RINGFENCE_DATA_DIR": str(tmp_path / "data")}


def _set_up(client: httpx.Client, **extra: str) -> httpx.Response:
    """Post the setup form with a valid double-submit token (the page's cookie), whether or
    not the page showed the form."""
    client.get("/admin/setup")
    csrf = client.cookies["rf_csrf"]
    return client.post(
        "/admin/setup", data={"csrf": csrf, "email": OPERATOR, "password": PASSWORD, **extra}
    )


def _log_in(client: httpx.Client, email: str, password: str) -> str:
    form = _csrf(client.get("/account/login"))
    done = client.post("/account/login", data={"csrf": form, "email": email, "password": password})
    assert done.status_code == 303, done.text
    return _csrf(client.get("/account"))


def _sign_up(client: httpx.Client, inbox: Inbox) -> str:
    form = _csrf(client.get("/account/signup"))
    sent = client.post(
        "/account/signup",
        data={"csrf": form, "email": USER, "password": USER_PASSWORD, "adult": "true",
              "terms": "true"},
    )  # fmt: skip
    assert sent.status_code == 200, sent.text
    client.get(link_in(inbox.received.get(timeout=15)))
    return _log_in(client, USER, USER_PASSWORD)


def test_setup_only_from_the_server_itself_then_gone(tmp_path: Path) -> None:
    with _server(tmp_path) as (base, _inbox, _env):
        with _from("127.0.0.2", base) as remote, _from("127.0.0.1", base) as local:
            shown = remote.get("/admin/setup")
            assert shown.status_code == 403 and "ringfence admin create" in shown.text
            assert 'id="setup"' not in shown.text
            posted = _set_up(remote)
            assert posted.status_code == 403 and "only from the server itself" in posted.text
            relayed = local.get("/admin/setup", headers={"X-Forwarded-For": "203.0.113.9"})
            assert relayed.status_code == 403  # a local proxy relaying someone else
            claimed = remote.get("/admin/setup", headers={"X-Forwarded-For": "127.0.0.1"})
            assert claimed.status_code == 403
            assert remote.get("/admin").status_code == 403  # and there is still no operator

            weak = local.post(
                "/admin/setup",
                data={
                    "csrf": _csrf(local.get("/admin/setup")),
                    "email": OPERATOR,
                    "password": "short",
                },
            )
            assert weak.status_code == 422 and "12 characters" in weak.text
            no_csrf = local.post("/admin/setup", data={"csrf": "x", "email": OPERATOR,
                                                       "password": PASSWORD})  # fmt: skip
            assert no_csrf.status_code == 403

            made = _set_up(local)
            assert made.status_code == 303 and made.headers["location"] == "/admin"
            console = local.get("/admin")
            assert console.status_code == 200 and OPERATOR in console.text
            assert "admin.operator.created" in console.text

            assert local.get("/admin/setup").status_code == 404
            with _from("127.0.0.1", base) as other:
                second = other.post(
                    "/admin/setup",
                    data={"csrf": "anything", "email": "me@example.org", "password": PASSWORD},
                )
                assert second.status_code == 404  # gone for good, before any other check


def test_setup_with_the_operator_token_from_elsewhere(tmp_path: Path) -> None:
    with _server(tmp_path, RINGFENCE_WEB__OPERATOR_TOKEN=TOKEN) as (base, _inbox, _env):
        with _from("127.0.0.2", base) as remote:
            page = remote.get("/admin/setup")
            assert page.status_code == 200 and 'name="token"' in page.text
            wrong = _set_up(remote, token=TOKEN[:-1] + "x")
            assert wrong.status_code == 403 and "not the operator token" in wrong.text
            assert _set_up(remote).status_code == 403  # no token at all
            made = _set_up(remote, token=TOKEN)
            assert made.status_code == 303
            assert remote.get("/admin").status_code == 200
            assert remote.get("/admin/setup").status_code == 404


def test_only_operators_reach_the_console_and_actions_need_the_csrf_token(
    tmp_path: Path,
) -> None:
    with _server(tmp_path) as (base, inbox, _env):
        with (
            _from("127.0.0.1", base) as operator,
            _from("127.0.0.1", base) as user,
            _from("127.0.0.1", base) as anonymous,
        ):
            assert _set_up(operator).status_code == 303
            operator_csrf = _csrf(operator.get("/admin"))
            user_csrf = _sign_up(user, inbox)
            for path in PAGES:
                assert operator.get(path).status_code == 200, path
                signed_out = anonymous.get(path)
                assert signed_out.status_code == 403, path
                assert "log in with an operator account" in signed_out.text
                assert user.get(path).status_code == 404, path
            for path in ACTIONS:
                assert anonymous.post(path, data={"csrf": "x"}).status_code == 403, path
                assert user.post(path, data={"csrf": user_csrf}).status_code in (404, 422), path

            users = operator.get("/admin/users", params={"q": USER})
            account = re.search(r'href="/admin/users/([0-9a-f]{32})"', users.text)
            assert account, users.text
            target = f"/admin/users/{account.group(1)}/suspend"
            # The user's own session token is not the operator's: a forged form is refused.
            forged = operator.post(target, data={"csrf": user_csrf, "action": "suspend"})
            assert forged.status_code == 403
            missing = operator.post(target, data={"action": "suspend"})
            assert missing.status_code == 422
            assert "active" in operator.get(f"/admin/users/{account.group(1)}").text
            done = operator.post(target, data={"csrf": operator_csrf, "action": "suspend"})
            assert done.status_code == 303
            assert user.get("/api/billing/balance").status_code == 403

            # An operator cannot suspend or erase an operator (nor lock themselves out).
            me = re.search(
                r'href="/admin/users/([0-9a-f]{32})">' + re.escape(OPERATOR),
                operator.get("/admin/users").text,
            )
            assert me
            self_suspend = operator.post(
                f"/admin/users/{me.group(1)}/suspend",
                data={"csrf": operator_csrf, "action": "suspend"},
            )
            assert self_suspend.status_code == 400
            assert operator.get("/admin").status_code == 200


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ringfence", "admin", *args],
        env={**os.environ, **env},
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_operator_made_on_the_command_line(tmp_path: Path) -> None:
    with _server(tmp_path) as (base, inbox, env):
        short = _cli(env, "create", OPERATOR, "--password-stdin", stdin="short\n")
        assert short.returncode == 1 and "12 characters" in short.stderr
        made = _cli(env, "create", OPERATOR, "--password-stdin", stdin=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
        assert f"{OPERATOR}: created; log in at {base}/admin" in made.stdout
        with _from("127.0.0.1", base) as operator, _from("127.0.0.1", base) as user:
            assert operator.get("/admin/setup").status_code == 404
            _log_in(operator, OPERATOR, PASSWORD)
            assert operator.get("/admin").status_code == 200
            _sign_up(user, inbox)
            assert user.get("/admin").status_code == 404

            last = _cli(env, "revoke", OPERATOR)
            assert last.returncode == 1 and "last operator" in last.stderr
            granted = _cli(env, "grant", USER)
            assert granted.returncode == 0, granted.stderr
            assert user.get("/admin").status_code == 200
            revoked = _cli(env, "revoke", OPERATOR)
            assert revoked.returncode == 0, revoked.stderr
            assert operator.get("/admin").status_code == 404
            unknown = _cli(env, "grant", "nobody@example.org")
            assert unknown.returncode == 1 and "no account has the address" in unknown.stderr
