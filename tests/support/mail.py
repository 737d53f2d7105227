"""A local SMTP server (aiosmtpd) that keeps what it receives, for the account e-mails: plain,
with STARTTLS or with implicit TLS (a certificate from ``tests.support.certs``), and optionally
asking for a login."""

from __future__ import annotations

import asyncio
import queue
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.server import free_port

# How long a test waits for a mail: it leaves after the page answers, and a loaded machine may
# take a while to get to it.
MAIL_WAIT_S = 60


class Inbox:
    def __init__(self) -> None:
        self.received: queue.Queue[Message] = queue.Queue()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.put(message_from_bytes(envelope.content))
        return "250 OK"

    async def next(self) -> Message:
        """The next message received (waiting at most ``MAIL_WAIT_S`` for it)."""
        return await asyncio.to_thread(self.received.get, True, MAIL_WAIT_S)

    def empty(self) -> bool:
        return self.received.empty()


def link_in(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"https?://\S+", body.decode())
    assert found, body
    return found.group(0)


class Login:
    """Accepts one user name and password (only over TLS: aiosmtpd's ``auth_require_tls``)."""

    def __init__(self, user: str, password: str) -> None:
        self.expected = (user.encode(), password.encode())
        self.logins: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == self.expected
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


@contextmanager
def smtp_server(
    tls: Literal["starttls", "tls"] | None = None,
    cert: tuple[Path, Path] | None = None,
    login: Login | None = None,
    port: int | None = None,
    inbox: Inbox | None = None,
) -> Iterator[tuple[Inbox, int]]:
    """``cert`` is (server.pem, server.key), for ``tls``; ``port`` a free one by default;
    ``inbox`` one that answers otherwise (refusing some mails, say)."""
    inbox = inbox or Inbox()
    port = port or free_port()
    context = None
    if tls is not None:
        assert cert is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*cert)
    options: dict[str, Any] = {}
    if tls == "starttls":
        options.update(tls_context=context, require_starttls=True)
    if login is not None:
        options.update(authenticator=login, auth_require_tls=True)
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        ssl_context=context if tls == "tls" else None,
        **options,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
