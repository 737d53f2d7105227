"""Account e-mails over SMTP (the operator's server; a local one in tests)."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

from ringfence.errors import ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.settings import MailSettings

log = get_logger(__name__)


class Mailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    @property
    def configured(self) -> bool:
        return bool(self.settings.smtp_host)

    async def send(self, to: str, subject: str, body: str) -> None:
        if not self.configured:
            raise ServiceUnavailable(
                "e-mail is not set up on this server (RINGFENCE_MAIL__SMTP_HOST)"
            )
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            await asyncio.to_thread(self._deliver, message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail_failed", error=type(exc).__name__)
            raise ServiceUnavailable("the e-mail could not be sent; try again later") from None
        log.info("mail_sent", subject=subject)

    def _deliver(self, message: EmailMessage) -> None:
        s = self.settings
        assert s.smtp_host is not None
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=20) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.username and s.password is not None:
                smtp.login(s.username, s.password.get_secret_value())
            smtp.send_message(message)
