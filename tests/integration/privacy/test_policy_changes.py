"""A changed policy is announced to account holders once, through the mail backend (the outbox
of a default install), by a real ``ringfence serve``."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest

from ringfence.accounts.outbox import Outbox, OutboxMail
from tests.support.server import running_server

pytestmark = pytest.mark.integration

EMAIL = "reader@example.org"
SUBJECT = "Our privacy policy changed"


async def _mail(data: Path, subject: str) -> OutboxMail:
    """The newest outbox mail to EMAIL with ``subject``, once the server has written it."""
    async with asyncio.timeout(60):
        while True:
            found = [m for m in Outbox(data).newest(to=EMAIL) if m.subject.startswith(subject)]
            if found:
                return found[0]
            await asyncio.sleep(0.1)  # a file another process writes: nothing to await


async def _checked(output: Path, count: int) -> None:
    """Until the server's announcement job has run ``count`` times in this output."""
    async with asyncio.timeout(60):
        while output.read_text().count('"policy_announcement_checked"') < count:
            await asyncio.sleep(0.1)  # the server's own log file: nothing to await


async def _sign_up(base: str, data: Path) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        page = await client.get("/account/signup")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf, page.text
        form = {"csrf": csrf.group(1), "email": EMAIL, "password": "correct horse battery",
                "adult": "true", "terms": "true"}  # fmt: skip
        assert (await client.post("/account/signup", data=form)).status_code == 200
        link = re.search(r"https?://\S+", (await _mail(data, "Confirm")).body)
        assert link, "no link in the verification mail"
        verified = await client.get(httpx.URL(link.group(0)).raw_path.decode())
        assert verified.status_code in (200, 303), verified.text


async def test_a_changed_policy_is_mailed_to_account_holders_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = tmp_path / "first.log"
    with running_server(data, output=first) as base:
        await _sign_up(base, data)
        await _checked(first, 1)
    assert not [m for m in Outbox(data).newest(to=EMAIL) if m.subject == SUBJECT]
    # The operator keeps the audit log longer: the policy says something new.
    changed = {"RINGFENCE_PRIVACY__RETENTION": json.dumps({"audit_log": 800})}
    second = tmp_path / "second.log"
    with running_server(data, output=second, **changed) as base:
        mail = await _mail(data, SUBJECT)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            version = (await client.get("/privacy.json")).json()["version"]
    assert version in mail.body and "/privacy" in mail.body
    # The same policy again (another process, a restart): nobody is told twice.
    third = tmp_path / "third.log"
    with running_server(data, output=third, **changed):
        await _checked(third, 1)
    assert len([m for m in Outbox(data).newest(to=EMAIL) if m.subject == SUBJECT]) == 1
