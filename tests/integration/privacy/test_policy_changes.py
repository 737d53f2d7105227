"""A changed policy is announced to account holders once, through the mail backend (the outbox
of a default install), by a real ``ringfence serve``."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from ringfence.accounts.outbox import Outbox, OutboxMail
from ringfence.accounts.policy_notice import announce_policy_change
from ringfence.privacy.core import Privacy
from ringfence.settings import PrivacySettings, Settings
from ringfence.store import Database
from tests.support.server import running_server

pytestmark = pytest.mark.integration

T = TypeVar("T")
EMAIL = "reader@example.org"
SUBJECT = "Our privacy policy changed"


def _until(found: Callable[[], T | None], seconds: float = 60) -> T:
    """Poll what another process writes (a file: there is no event to await) until it is there."""
    deadline = time.monotonic() + seconds
    while (value := found()) is None:
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value


def _mail(data: Path, subject: str) -> OutboxMail:
    """The newest outbox mail to EMAIL with ``subject``, once the server has written it."""
    return _until(
        lambda: next(
            (m for m in Outbox(data).newest(to=EMAIL) if m.subject.startswith(subject)), None
        )
    )


def _checked(output: Path) -> None:
    """Until the server's announcement job has run (it logs that it did)."""
    _until(lambda: True if '"policy_announcement_checked"' in output.read_text() else None)


def _sign_up(base: str, data: Path) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        page = client.get("/account/signup")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf, page.text
        form = {"csrf": csrf.group(1), "email": EMAIL, "password": "correct horse battery",
                "adult": "true", "terms": "true"}  # fmt: skip
        assert client.post("/account/signup", data=form).status_code == 200
        link = re.search(r"https?://\S+", _mail(data, "Confirm").body)
        assert link, "no link in the verification mail"
        verified = client.get(httpx.URL(link.group(0)).raw_path.decode())
        assert verified.status_code in (200, 303), verified.text


async def test_a_changed_policy_is_mailed_to_account_holders_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as base:
        _sign_up(base, data)
    # The first version of a policy changed nothing anyone had read: nobody is told.
    assert not [m for m in Outbox(data).newest(to=EMAIL) if m.subject == SUBJECT]
    # The operator keeps the audit log longer: the policy says something new.
    retention = {"audit_log": 800}
    changed = {"RINGFENCE_PRIVACY__RETENTION": json.dumps(retention)}
    second = tmp_path / "second.log"
    with running_server(data, output=second, **changed) as base:
        mail = _mail(data, SUBJECT)
        _checked(second)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            version = (await client.get("/privacy.json")).json()["version"]
    assert version in mail.body and "/privacy" in mail.body
    # The same policy again, from another process: it finds the change announced already.
    settings = Settings(data_dir=data, privacy=PrivacySettings(retention=retention))
    db = Database(settings.resolved_database_url)
    try:
        privacy = Privacy(settings, db)

        async def nobody(account_id: str, version: str) -> None:
            raise AssertionError("a notice queued again")

        assert await announce_policy_change(privacy, nobody) == 0
    finally:
        await db.dispose()
    with running_server(data, **changed):  # and a restart queues nothing
        pass
    assert len([m for m in Outbox(data).newest(to=EMAIL) if m.subject == SUBJECT]) == 1
