"""Receipts of purchases and grants, through the real pages on SQLite and PostgreSQL: the
owner reads each one as a page and a PDF; another account's is not found; a grant says so."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ringfence.billing.ledger import Ledger
from ringfence.billing.models import LedgerTransaction
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.testing import FakeClock
from tests.conftest import ENGINES, SettingsFactory
from tests.support.accounts import EMAIL, account_of, add_account, site, verified_login
from tests.support.stripe import SECRET, event, paid, sign

pytestmark = [pytest.mark.integration, ENGINES]
BILLING = {
    "stripe_webhook_secret": SECRET,
    "seller_name": "Hollow Tree Telecom Ltd",
    "seller_address": "1 Acorn Lane, Bristol BS1 4AA",
    "vat_id": "GB123456789",
    "vat_percent": 20,
}


async def _accounts(settings: Settings, database_url: str) -> tuple[str, str]:
    """The signed-in account's id, and another account's (with a grant of its own)."""
    db = Database(database_url)
    try:
        mine = await account_of(settings, db, EMAIL)
        other = await add_account(settings, db, "someone.else@example.org")
        async with db.session() as session:
            await Ledger(FakeClock()).adjust(
                session, "grant", other.id, 300, "EUR", reason="welcome", reference="g-other"
            )
        assert mine is not None
        return mine.id, other.id
    finally:
        await db.dispose()


async def _numbers(database_url: str, account_id: str) -> dict[str, str]:
    db = Database(database_url)
    try:
        async with db.session() as session:
            rows = await session.execute(
                select(LedgerTransaction.kind, LedgerTransaction.id).where(
                    LedgerTransaction.subject_ref == f"account:{account_id}"
                )
            )
            return {kind: tx for kind, tx in rows.all()}
    finally:
        await db.dispose()


async def test_the_owner_reads_receipts_as_pages_and_pdfs_and_no_one_else_does(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with site(make_settings, database_url, billing=BILLING) as (client, inbox, settings):
        await verified_login(client, inbox)
        mine, other = await _accounts(settings, database_url)
        payload = event("checkout.session.completed", paid(mine, 1250, "cs_test_receipt"))
        credited = await client.post(
            "/api/billing/stripe/webhook",
            content=payload,
            headers={"Stripe-Signature": sign(payload)},
        )
        assert credited.json() == {"result": "credited"}
        db = Database(database_url)
        try:
            async with db.session() as session:
                await Ledger(FakeClock()).adjust(
                    session,
                    "grant",
                    mine,
                    200,
                    "EUR",
                    reason="sorry for the outage",
                    reference="g1",
                )
        finally:
            await db.dispose()
        numbers = await _numbers(database_url, mine)

        listing = await client.get("/account/credit")
        assert listing.status_code == 200
        for number in (numbers["credit"], numbers["grant"]):
            assert f"/account/credit/receipts/{number}" in listing.text
        assert "Credit granted by the operator" in listing.text

        bought = await client.get(f"/account/credit/receipts/{numbers['credit']}")
        assert bought.status_code == 200
        for text in (
            "Hollow Tree Telecom Ltd",
            "1 Acorn Lane, Bristol BS1 4AA",
            "GB123456789",
            EMAIL.lower(),
            "12.50 EUR",
            "VAT included (20 %)",
            "2.08 EUR",  # 12.50 * 20 / 120
            "Card, through Stripe",
            "stripe:cs_test_receipt",
        ):
            assert text in bought.text, text
        assert dt.datetime.now(dt.UTC).strftime("%B %Y") in bought.text  # the date in words

        granted = await client.get(f"/account/credit/receipts/{numbers['grant']}")
        assert "Credit granted by the operator (no payment)" in granted.text
        assert "sorry for the outage" in granted.text and "VAT included" not in granted.text

        document = await client.get(f"/account/credit/receipts/{numbers['credit']}/receipt.pdf")
        assert document.status_code == 200
        assert document.headers["content-type"] == "application/pdf"
        assert document.content.startswith(b"%PDF") and b"12.50 EUR" in document.content

        # Another account's receipt, and numbers that are no receipt, are not found.
        theirs = (await _numbers(database_url, other))["grant"]
        for path in (
            f"/account/credit/receipts/{theirs}",
            f"/account/credit/receipts/{theirs}/receipt.pdf",
            "/account/credit/receipts/nonsense-../x",
            f"/account/credit/receipts/{'9' * 40}",
        ):
            refused = await client.get(path)
            assert refused.status_code == 404, (path, refused.status_code)
            assert "12.50" not in refused.text and "welcome" not in refused.text

        # Signed out, the page sends the person to sign in and the PDF is refused.
        client.cookies.clear()
        page = await client.get(f"/account/credit/receipts/{numbers['credit']}")
        assert page.status_code == 303 and page.headers["location"] == "/account/login"
        anonymous = await client.get(f"/account/credit/receipts/{numbers['credit']}/receipt.pdf")
        assert anonymous.status_code == 403 and "log in first" in anonymous.text
