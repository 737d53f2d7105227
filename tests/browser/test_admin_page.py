"""The operator console in Chromium, as a new operator meets it on a fresh install: the setup
page makes the first operator (from the server itself), who passes a new user their confirmation
link from the console's outbox (no SMTP server is set), grants them credit with a reason, lifts a
roulette ban, and reads these actions in the audit log; the user sees the credit and its reason
in their history. Every console page works under the real
Content-Security-Policy, with no violation and no script error, and passes the accessibility
checks every page passes (``tests/support/accessibility``; screenshots kept with the others)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ringfence.clock import SystemClock
from ringfence.privacy.categories import build_inventory
from ringfence.privacy.inventory import Inventory
from ringfence.privacy.subjects import ip_ref, keyed_ref
from ringfence.services.roulette.bans import Bans
from ringfence.settings import Settings
from ringfence.store import Database
from tests.browser.test_csp import Violations, _visit
from tests.support.accessibility import Findings
from tests.support.browser import PASSWORD as USER_PASSWORD
from tests.support.browser import chromium
from tests.support.server import free_port, running_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]
OPERATOR, PASSWORD = "operator@example.org", "operator password 42"
SECTIONS = (
    "/admin",
    "/admin/carriers",
    "/admin/rates",
    "/admin/users",
    "/admin/tenants",
    "/admin/rights",
    "/admin/retention",
    "/admin/breaches",
    "/admin/jobs",
    "/admin/outbox",
    "/admin/roulette",
)


def _ban(data_dir: Path, ip: str, reporter: str) -> str:
    """A report's ban, as roulette's hub stores it; the banned address's keyed hash."""
    settings = Settings(data_dir=data_dir)
    key = settings.signing_key()
    inventory: Inventory = build_inventory()

    async def ban() -> str:
        db = Database(settings.resolved_database_url)
        try:
            banned = keyed_ref(ip_ref(ip), key)
            await Bans(db, inventory, SystemClock()).ban(
                banned, "harassment", keyed_ref(ip_ref(reporter), key)
            )
            return banned
        finally:
            await db.dispose()

    return asyncio.run(ban())


def test_set_up_pass_a_link_on_grant_credit_lift_a_ban_and_read_the_audit_log(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    web_port = free_port()
    env = {"RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{web_port}"}
    with running_server(data, port=web_port, **env) as base:
        banned = _ban(data, "198.51.100.40", "198.51.100.41")  # before Playwright's loop
        with chromium() as browser:
            _console(browser, base, banned)


def _sign_up_through_the_outbox(user: Page, console: Page, base: str, email: str) -> None:
    """The user signs up; the operator finds the link in the console's outbox and passes it on."""
    user.goto(base + "/account/signup")
    user.fill("#email", email)
    user.fill("#password", USER_PASSWORD)
    user.check("input[name=adult]")
    user.check("input[name=terms]")
    user.click("#signup button[type=submit]")
    user.wait_for_selector("#sent")
    console.goto(base + "/admin")
    console.click("#console-nav a:text('Outbox')")
    console.fill("#outbox-to", email)
    console.click("form[role=search] button[type=submit]")
    mail = console.locator("#mails article").first
    expect(mail).to_contain_text(email)
    found = re.search(r"https?://\S+/account/verify\?token=\S+", mail.inner_text())
    assert found, mail.inner_text()
    user.goto(found.group(0))
    user.fill("#password", USER_PASSWORD)
    user.click("#login button[type=submit]")
    user.wait_for_url("**/account")


def _console(browser: Browser, base: str, banned: str) -> None:
    violations = Violations()
    console = browser.new_context().new_page()
    violations.watch(console)
    console.goto(base + "/admin/setup")
    console.fill("#email", OPERATOR)
    console.fill("#password", PASSWORD)
    console.click("#setup button[type=submit]")
    console.wait_for_url(base + "/admin")
    expect(console.locator("#console-nav")).to_contain_text(OPERATOR)
    gone = console.goto(base + "/admin/setup")
    assert gone is not None and gone.status == 404  # the page is gone for good

    user = browser.new_context().new_page()
    _sign_up_through_the_outbox(user, console, base, "caller@example.org")

    console.goto(base + "/admin/users")
    console.fill("#q", "Caller@Example.org")  # a whole address, any case
    console.click("#user-search button[type=submit]")
    console.click("#users a:text('caller@example.org')")
    expect(console.locator("#balance")).to_have_text("0.00 EUR")
    console.fill("#amount", "abc")
    console.fill("#reason", "Welcome to the pilot")
    console.click("#credit button[type=submit]")
    expect(console.locator("#error")).to_contain_text("write the amount as a number")
    console.fill("#amount", "7.50")
    console.fill("#reason", "Welcome to the pilot")
    console.click("#credit button[type=submit]")
    expect(console.locator("#notice")).to_have_text("Credit granted.")
    expect(console.locator("#balance")).to_have_text("7.50 EUR")
    expect(console.locator("#history")).to_contain_text("Welcome to the pilot")

    user.goto(base + "/api/billing/history")
    history = json.loads(user.inner_text("body"))
    assert history["movements"][0]["reason"] == "Welcome to the pilot"
    assert history["movements"][0]["amount"] == 750

    console.click("#console-nav a:text('Roulette: bans and reports')")
    expect(console.locator("#bans")).to_contain_text(banned[2:14])
    expect(console.locator("#reports")).to_contain_text(banned[2:14])
    console.click(f"#bans button:text('Lift the ban on {banned[2:14]}')")
    expect(console.locator("#notice")).to_have_text("Ban lifted.")
    expect(console.locator("#bans")).to_contain_text("No ban in force.")
    expect(console.locator("#reports")).to_contain_text("ban lifted")

    console.click("#console-nav a:text('Overview')")
    log = console.locator("#audit-log")
    expect(log).to_contain_text("admin.roulette.ban_lifted")
    expect(log).to_contain_text("admin.credit.grant")
    expect(log).to_contain_text("admin.operator.created")
    expect(log).to_contain_text("admin.outbox.read")
    expect(log).to_contain_text("amount: 750")

    console.goto(base + "/admin/carriers")  # a fresh install's carrier: the test phone
    expect(console.locator("main")).to_contain_text("built in: the test phone (/phone)")

    findings = Findings()
    for path in SECTIONS:
        _visit(console, base + path)
        findings.check(console, "console " + (path.removeprefix("/admin/") or "overview"))
    assert violations.seen == []
    assert findings.problems == [], "\n".join(findings.problems)
