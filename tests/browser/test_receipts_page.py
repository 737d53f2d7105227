"""A purchase's receipt in Chromium against the real server: bought through a signed Stripe
webhook, found on the credit page, read as a page (checked by axe-core and at phone width) and
downloaded as a PDF that carries the amount."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.accessibility import Findings
from tests.support.browser import chromium, new_page, sign_up_and_log_in
from tests.support.mail import smtp_server
from tests.support.server import free_port, running_server
from tests.support.stripe import SECRET, event, paid, sign

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def test_a_purchase_has_a_receipt_page_and_a_pdf(tmp_path: Path) -> None:
    with smtp_server() as (inbox, mail_port):
        port = free_port()
        env = {
            "RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{port}",
            "RINGFENCE_BILLING__STRIPE_WEBHOOK_SECRET": SECRET,
            "RINGFENCE_BILLING__SELLER_NAME": "Hollow Tree Telecom Ltd",
            "RINGFENCE_BILLING__SELLER_ADDRESS": "1 Acorn Lane, Bristol",
            "RINGFENCE_BILLING__VAT_PERCENT": "20",
            "RINGFENCE_MAIL__SMTP_HOST": "127.0.0.1",
            "RINGFENCE_MAIL__SMTP_PORT": str(mail_port),
            "RINGFENCE_MAIL__STARTTLS": "false",
        }
        with running_server(tmp_path / "data", port=port, **env) as base, chromium() as browser:
            page = new_page(browser)
            sign_up_and_log_in(page, base, inbox, "buyer@example.org")
            database = sqlite3.connect(tmp_path / "data" / "ringfence.db")
            account = database.execute("select id from accounts").fetchone()[0]
            payload = event("checkout.session.completed", paid(account, 2500, "cs_test_browser"))
            credited = httpx.post(
                base + "/api/billing/stripe/webhook",
                content=payload,
                headers={"Stripe-Signature": sign(payload)},
            )
            assert credited.json() == {"result": "credited"}

            page.goto(base + "/account/credit")
            expect(page.locator("#receipts")).to_contain_text("Credit bought")
            page.locator("#receipts a", has_text="Receipt").first.click()
            page.wait_for_url("**/account/credit/receipts/*")
            receipt = page.locator("#receipt")
            for text in ("Hollow Tree Telecom Ltd", "buyer@example.org", "25.00 EUR", "4.17 EUR"):
                expect(receipt).to_contain_text(text)
            findings = Findings()
            findings.check(page, "receipt")
            assert not findings.problems, findings.problems

            with page.expect_download() as started:
                page.click("#pdf")
            download = started.value
            assert download.suggested_filename.startswith("receipt-")
            document = Path(download.path()).read_bytes()
            assert document.startswith(b"%PDF") and b"25.00 EUR" in document
