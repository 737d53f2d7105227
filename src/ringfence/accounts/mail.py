"""Account e-mails: kept in the operator's outbox by default, sent over SMTP when one is set.

``RINGFENCE_MAIL__BACKEND`` chooses (``outbox`` unless ``RINGFENCE_MAIL__SMTP_HOST`` is set). The
outbox (``accounts.outbox``) keeps each mail in the data dir for the inventory's retention; one
log line, ``mail_waiting``, says a mail is there and how to read it. SMTP speaks plain (a local
relay on port 25), STARTTLS (``starttls``, a submission port) or implicit TLS (``tls``, SMTPS on
465), verifying the server's certificate against the system's CAs or ``ca_file``. No log line
holds an address, a subject, a body or a link.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal

from ringfence.accounts.outbox import Outbox
from ringfence.clock import Clock
from ringfence.errors import ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.settings import Settings

log = get_logger(__name__)
SMTP_TIMEOUT = 20.0
Backend = Literal["outbox", "smtp"]


class Mailer:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings.mail
        self.backend: Backend = settings.mail.resolved_backend
        self.clock = clock
        self._ensure_data_dir = settings.ensure_data_dir

    def outbox(self) -> Outbox:
        return Outbox(self._ensure_data_dir())

    async def send(self, to: str, subject: str, body: str, *, subject_ref: str) -> Backend:
        """Deliver a mail to ``to`` (whose data subject is ``subject_ref``); where it went.
        Raises ``ServiceUnavailable`` when the SMTP server cannot take it."""
        if self.backend == "outbox":
            await asyncio.to_thread(
                self.outbox().put, to, subject, body, subject_ref=subject_ref, at=self.clock.now()
            )
            log.info("mail_waiting", where="outbox", read_with="ringfence outbox")
            return "outbox"
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            await asyncio.to_thread(self._deliver, message)
        except (OSError, smtplib.SMTPException) as exc:  # ssl.SSLError is an OSError
            log.warning("mail_failed", error=type(exc).__name__)
            raise ServiceUnavailable("the e-mail could not be sent; try again later") from None
        log.info("mail_sent")
        return "smtp"

    def _tls(self) -> ssl.SSLContext:
        ca = self.settings.ca_file
        return ssl.create_default_context(cafile=str(ca) if ca else None)

    def _deliver(self, message: EmailMessage) -> None:
        s = self.settings
        assert s.smtp_host is not None
        smtp = (
            smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT, context=self._tls())
            if s.tls
            else smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT)
        )
        with smtp:
            if s.starttls:
                smtp.starttls(context=self._tls())
            if s.username and s.password is not None:
                smtp.login(s.username, s.password.get_secret_value())
            smtp.send_message(message)
