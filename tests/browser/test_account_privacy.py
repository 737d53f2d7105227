"""A signed-in person's privacy, in Chromium against `ringfence serve` on a default install (mail
to the operator's outbox): they change their e-mail address with the link that waits for the new
address (the old one told), read their data on a page and download it, and erase their account,
reading the receipt; every page checked with axe-core."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ringfence.accounts.outbox import Outbox
from tests.support.accessibility import Findings
from tests.support.browser import PASSWORD, chromium, new_page
from tests.support.server import free_port, running_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]
OLD = "person@example.org"
NEW = "moved@example.org"


def _link(data_dir: Path, to: str, path: str) -> str:
    """The link to ``path`` in the newest mail to ``to`` waiting in the outbox."""
    for mail in Outbox(data_dir).newest(10, to=to):
        found = re.search(rf"https?://\S+{re.escape(path)}\?token=\S+", mail.body)
        if found:
            return found.group(0)
    raise AssertionError(f"no mail to {to} with a link to {path}")


def _sign_up(page: Page, base: str, data_dir: Path) -> None:
    page.goto(base + "/account/signup")
    page.fill("#email", OLD)
    page.fill("#password", PASSWORD)
    page.check("input[name=adult]")
    page.check("input[name=terms]")
    page.click("#signup button[type=submit]")
    expect(page.locator("#sent")).to_contain_text("outbox of the operator")
    page.goto(_link(data_dir, OLD, "/account/verify"))
    page.fill("#password", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_url("**/account")


def test_change_the_address_export_and_erase(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    public = {"RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{port}"}
    findings = Findings()
    with running_server(data_dir, port, **public) as base, chromium() as browser:
        page = new_page(browser)
        _sign_up(page, base, data_dir)

        page.click("a[href='/account/email']")
        expect(page.locator("#current-email")).to_have_text(OLD)
        findings.check(page, "change the e-mail address")
        page.fill("#new-email", NEW)
        page.fill("#email-password", PASSWORD)
        page.click("#email-change button[type=submit]")
        expect(page.locator("#sent")).to_contain_text("outbox of the operator")
        notices = Outbox(data_dir).newest(10, to=OLD)
        assert any("being changed" in m.subject for m in notices)  # the old address is told
        page.goto(base + "/account")
        expect(page.locator("#who")).to_contain_text(OLD)  # not before the link is opened
        page.goto(_link(data_dir, NEW, "/account/email/confirm"))
        expect(page.locator("#changed")).to_contain_text(NEW)
        page.goto(base + "/account")
        expect(page.locator("#who")).to_contain_text(NEW)

        page.goto(base + "/privacy/requests")
        expect(page.locator("#account-requests")).to_contain_text(NEW)
        findings.check(page, "privacy requests signed in")
        page.click("#export-page")
        expect(page.locator("#category-account h2")).to_have_text("Your account")
        expect(page.locator("#category-account")).to_contain_text(NEW)
        expect(page.locator("#category-consent_record")).to_contain_text("UTC")
        findings.check(page, "your data")
        with page.expect_download() as download:
            page.click("#download")
        exported = json.loads(Path(download.value.path()).read_text())
        assert exported["data"]["account"]["records"][0]["email"] == NEW

        page.goto(base + "/privacy/requests")
        page.fill("#erase-password", "not the password")
        page.click("#erase button[type=submit]")
        expect(page.locator("#error")).to_contain_text("wrong password")
        page.fill("#erase-password", PASSWORD)
        page.click("#erase button[type=submit]")
        expect(page.locator("#receipt-kind")).to_contain_text("Erase")
        expect(page.locator("#receipt-actions")).to_contain_text("Your account")
        findings.check(page, "receipt of an erasure")
        page.goto(base + "/account")
        page.wait_for_url("**/account/login")
        page.fill("#email", NEW)
        page.fill("#password", PASSWORD)
        page.click("#login button[type=submit]")
        expect(page.locator("#error")).to_contain_text("wrong e-mail, password or code")
    assert findings.problems == [], "\n".join(findings.problems)
