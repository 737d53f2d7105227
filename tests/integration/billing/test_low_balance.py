"""The low-balance e-mail through the real webhook and pages, on SQLite and PostgreSQL: one
mail when a refund takes the balance below the threshold, none again until a top-up has lifted
it above; the account's own amount, or none; a wrong amount said next to the field. Over SMTP
to a local aiosmtpd server, and into the outbox that ``ringfence outbox`` prints."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest

from ringfence.billing.models import LowBalanceAlert
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.web.app import create_app
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import EMAIL, account_of, add_account, site, verified_login
from tests.support.server import REPO
from tests.support.stripe import SECRET, event, paid, sign
from tests.support.web import client_for

pytestmark = [pytest.mark.integration, ENGINES]
BILLING = {"stripe_webhook_secret": SECRET, "low_balance": 200}


async def _account_id(settings: Settings, database_url: str, email: str) -> str:
    db = Database(database_url)
    try:
        found = await account_of(settings, db, email)
        assert found is not None
        return found.id
    finally:
        await db.dispose()


async def _webhook(client: httpx.AsyncClient, kind: str, obj: dict[str, Any]) -> str:
    payload = event(kind, obj)
    answer = await client.post(
        "/api/billing/stripe/webhook", content=payload, headers={"Stripe-Signature": sign(payload)}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["result"])


async def _buy(client: httpx.AsyncClient, account: str, amount: int, n: int) -> None:
    bought = {**paid(account, amount, f"cs_test_{n}"), "payment_intent": f"pi_test_{n}"}
    assert await _webhook(client, "checkout.session.completed", bought) == "credited"


async def _refund(client: httpx.AsyncClient, amount: int, n: int) -> None:
    refund = {"id": f"ch_{n}", "object": "charge", "payment_intent": f"pi_test_{n}"}
    result = await _webhook(client, "charge.refunded", {**refund, "amount_refunded": amount})
    assert result == "reversed"


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


async def test_one_mail_per_fall_below_the_threshold_over_smtp(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url, billing=BILLING) as (client, inbox, settings):
        await verified_login(client, inbox)
        account = await _account_id(settings, database_url, EMAIL)

        await _buy(client, account, 500, 1)  # 5.00: above 2.00, armed
        assert inbox.empty()
        await _refund(client, 400, 1)  # 1.00: below, one mail
        mail = await inbox.next()
        assert mail["To"] == EMAIL.lower() and "credit is low" in mail["Subject"]
        body = mail.get_payload(decode=True).decode()
        assert "1.00 EUR" in body and "2.00 EUR" in body and "/account/credit" in body
        await _buy(client, account, 50, 2)  # 1.50: still below, and told already
        await _refund(client, 50, 2)  # 1.00
        assert inbox.empty()
        await _buy(client, account, 500, 3)  # 6.00: above again, armed
        await _refund(client, 500, 3)  # 1.00: a second fall, a second mail
        assert "credit is low" in (await inbox.next())["Subject"]

        # The account's own amount: 10.00, with a wrong amount refused next to the field first.
        page = await client.get("/account/credit")
        form = {"csrf": _csrf(page), "choice": "own"}
        for wrong in ("ten", "0", "-3", "5.001"):
            refused = await client.post(
                "/account/credit/low-balance", data={**form, "amount": wrong}
            )
            assert refused.status_code == 422, (wrong, refused.status_code)
            assert 'id="alert-error"' in refused.text and f'value="{wrong}"' in refused.text
        assert (await client.get("/account/credit")).text.count('value="own" checked') == 0
        bad_choice = await client.post("/account/credit/low-balance", data={**form, "choice": "x"})
        assert bad_choice.status_code == 422
        chosen = await client.post("/account/credit/low-balance", data={**form, "amount": "10"})
        assert chosen.status_code == 303
        assert 'value="10.00"' in (await client.get("/account/credit")).text
        await _buy(client, account, 1000, 4)  # 11.00: above 10.00, armed
        await _refund(client, 200, 4)  # 9.00: below the account's own amount
        assert "9.00 EUR" in (await inbox.next()).get_payload(decode=True).decode()

        # No e-mail at all: a fall is not told.
        off = await client.post("/account/credit/low-balance", data={**form, "choice": "off"})
        assert off.status_code == 303
        await _buy(client, account, 500, 5)  # 14.00
        await _refund(client, 500, 5)  # 9.00
        assert inbox.empty()


async def test_the_outbox_keeps_the_mail_for_ringfence_outbox(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings(database_url=database_url, billing=BILLING)
    email = f"low-{uuid.uuid4().hex[:6]}@example.org"
    db = Database(database_url)
    try:
        created = await add_account(settings, db, email)
        async with client_for(create_app(settings, run_workers=False)) as client:
            await _buy(client, created.id, 300, 1)
            await _refund(client, 250, 1)
        async with db.session() as session:
            alert = await session.get(LowBalanceAlert, created.subject_ref)
            assert alert is not None and not alert.armed and alert.alerted_at is not None
    finally:
        await db.dispose()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RINGFENCE_")}
    printed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ringfence", "outbox", "--to", email],
        env={**clean, "RINGFENCE_DATA_DIR": str(settings.data_dir)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.count("Subject: Your ringfence credit is low") == 1
    assert "0.50 EUR" in printed.stdout
