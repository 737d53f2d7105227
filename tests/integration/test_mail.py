"""Account e-mails as they leave: over SMTP to aiosmtpd (plain, STARTTLS with a login, implicit
TLS, each checking the server's certificate), or into the outbox, which the rights requests and
the sweeper cover and no log line reveals."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from ringfence.accounts.mail import Mailer
from ringfence.errors import ServiceUnavailable
from ringfence.privacy.core import Privacy
from ringfence.store import Database
from ringfence.testing import FakeClock
from tests.conftest import SettingsFactory
from tests.support.certs import make_certs
from tests.support.mail import Login, link_in, smtp_server
from tests.support.server import free_port

pytestmark = pytest.mark.integration
LINK = "https://ringfence.example/account/verify?token=secret-token"
BODY = f"Open this link:\n\n{LINK}\n"


async def test_plain_smtp_to_a_local_relay(make_settings: SettingsFactory) -> None:
    with smtp_server() as (inbox, port):
        mailer = Mailer(
            make_settings(mail={"smtp_host": "127.0.0.1", "smtp_port": port}), FakeClock()
        )
        assert mailer.backend == "smtp"
        with capture_logs() as logs:
            assert (
                await mailer.send("ada@example.org", "Hello", BODY, subject_ref="account:a")
                == "smtp"
            )
        mail = await inbox.next()
    assert (mail["To"], mail["Subject"], link_in(mail)) == ("ada@example.org", "Hello", LINK)
    assert [entry["event"] for entry in logs] == ["mail_sent"]
    assert "ada@example.org" not in repr(logs) and "Hello" not in repr(logs)


async def test_starttls_and_a_login_over_it(make_settings: SettingsFactory, tmp_path: Path) -> None:
    ca, cert, key = make_certs(tmp_path)
    login = Login("ringfence", "s3cret-pass")
    with smtp_server("starttls", (cert, key), login) as (inbox, port):
        settings = make_settings(
            mail={
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "starttls": True,
                "ca_file": ca,
                "username": "ringfence",
                "password": "s3cret-pass",
            }
        )
        await Mailer(settings, FakeClock()).send("ada@example.org", "Hi", BODY, subject_ref="a")
        assert link_in(await inbox.next()) == LINK
    assert login.logins == ["ringfence"]


async def test_implicit_tls(make_settings: SettingsFactory, tmp_path: Path) -> None:
    ca, cert, key = make_certs(tmp_path)
    with smtp_server("tls", (cert, key)) as (inbox, port):
        mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "tls": True, "ca_file": ca}
        mailer = Mailer(make_settings(mail=mail), FakeClock())
        await mailer.send("ada@example.org", "Hi", BODY, subject_ref="a")
        assert link_in(await inbox.next()) == LINK


@pytest.mark.parametrize("tls", ["starttls", "tls"])
async def test_a_certificate_no_trusted_ca_signed_gets_no_mail(
    make_settings: SettingsFactory, tmp_path: Path, tls: str
) -> None:
    """Someone in the path with their own certificate (here: our test CA, which the system's
    store does not hold) gets neither the mail nor the password."""
    _, cert, key = make_certs(tmp_path)
    login = Login("ringfence", "s3cret-pass")
    with smtp_server(tls, (cert, key), login) as (inbox, port):  # type: ignore[arg-type]
        mail: dict[str, object] = {"smtp_host": "127.0.0.1", "smtp_port": port, tls: True}
        mail.update(username="ringfence", password="s3cret-pass")
        mailer = Mailer(make_settings(mail=mail), FakeClock())
        with capture_logs() as logs, pytest.raises(ServiceUnavailable, match="could not be sent"):
            await mailer.send("ada@example.org", "Hi", BODY, subject_ref="a")
        assert inbox.empty()
    assert login.logins == []
    assert (logs[-1]["event"], logs[-1]["error"]) == ("mail_failed", "SSLCertVerificationError")


async def test_an_smtp_server_that_is_not_there(make_settings: SettingsFactory) -> None:
    mail = {"smtp_host": "127.0.0.1", "smtp_port": free_port()}
    mailer = Mailer(make_settings(mail=mail), FakeClock())
    with pytest.raises(ServiceUnavailable, match="could not be sent; try again later"):
        await mailer.send("ada@example.org", "Hi", BODY, subject_ref="a")


async def test_the_outbox_keeps_the_mail_and_one_line_says_so(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings()
    mailer = Mailer(settings, FakeClock())
    assert mailer.backend == "outbox"
    with capture_logs() as logs:
        assert await mailer.send("ada@example.org", "Hi", BODY, subject_ref="account:a") == "outbox"
    (mail,) = mailer.outbox().newest(5)
    assert (mail.to, mail.subject, mail.body) == ("ada@example.org", "Hi", BODY)
    assert logs == [
        {
            "event": "mail_waiting",
            "where": "outbox",
            "read_with": "ringfence outbox",
            "log_level": "info",
        }
    ]


async def test_outbox_mails_are_exported_erased_and_swept(
    make_settings: SettingsFactory, database_url: str
) -> None:
    now = dt.datetime.now(dt.UTC)
    clock = FakeClock(now)
    settings = make_settings(database_url=database_url)
    mailer = Mailer(settings, clock)
    for who in ("account:ada", "account:bob"):
        await mailer.send(f"{who[8:]}@example.org", "Confirm", BODY, subject_ref=who)
    db = Database(database_url)
    try:
        privacy = Privacy(settings, db, clock)
        async with db.session() as session:
            export = await privacy.rights("v1").export(session, "account:ada")
        (file,) = export["data"]["mail_outbox"]["files"]
        kept = json.loads(base64.b64decode(file["base64"]))
        assert (kept["to"], kept["body"]) == ("ada@example.org", BODY)

        async with db.session() as session:
            actions, _ = await privacy.rights("v1").erase(session, "account:ada")
        assert {"action": "deleted", "category": "mail_outbox", "files": 1} in actions
        assert [m.to for m in mailer.outbox().newest(5)] == ["bob@example.org"]

        clock.advance(days=6)
        assert (await privacy.sweeper().sweep()).counts["mail_outbox"] == 0
        clock.advance(days=1, minutes=1)
        assert (await privacy.sweeper().sweep()).counts["mail_outbox"] == 1
        assert mailer.outbox().newest(5) == []
    finally:
        await db.dispose()
