"""A local SMTP server (aiosmtpd) that keeps what it receives, for the account e-mails."""

from __future__ import annotations

import asyncio
import queue
import re
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

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


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
