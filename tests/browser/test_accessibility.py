"""Every page of a default install, checked in Chromium as people meet it: axe-core finds no
serious or critical accessibility problem (in light and dark mode), nothing is wider than a phone
at 390 or 360 px, and each page is photographed at desktop and phone width
(``tests/support/accessibility.SCREENSHOTS``, printed at the end).

A new page is one line in one of the tuples below: visitors' pages, a signed-in person's, and a
business's (``{business}`` and ``{agent}`` are filled in from the forms that make them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.accessibility import SCREENSHOTS, Findings
from tests.support.browser import agents_site

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]

# (name, path, HTTP status)
VISITOR_PAGES = (
    ("home", "/", 200),
    ("ring", "/ring", 200),
    ("numbers", "/numbers", 200),
    ("test phone", "/phone", 200),
    ("roulette", "/roulette", 200),
    ("roulette appeal", "/roulette/appeal", 200),
    ("sign up", "/account/signup", 200),
    ("log in", "/account/login", 200),
    ("reset password", "/account/reset", 200),
    ("privacy policy", "/privacy", 200),
    ("privacy policy of ring", "/ring/privacy", 200),
    ("what we hold now", "/privacy/now", 200),
    ("privacy requests", "/privacy/requests", 200),
    ("privacy requests by phone", "/privacy/phone", 200),
    ("privacy choices", "/privacy/choices", 200),
    ("page not found", "/no-such-page", 404),
    ("callscore rubric", "/agents/callscore/rubric/1", 200),
)
SIGNED_IN_PAGES = (
    ("home signed in", "/", 200),
    ("account", "/account", 200),
    ("credit", "/account/credit", 200),
    ("dial", "/dial", 200),
    ("agents", "/agents", 200),
    ("privacy requests signed in", "/privacy/requests", 200),
    ("e-mail address", "/account/email", 200),
)
BUSINESS_PAGES = (
    ("business", "{business}", 200),
    ("agent", "{agent}", 200),
    ("calls", "{business}/calls", 200),
    ("campaigns", "{business}/campaigns", 200),
    ("callscore", "{business}/evaluations", 200),
    ("voices", "{business}/voices", 200),
    ("privacy requests of a business", "{business}/privacy-requests", 200),
    ("connections", "{business}/connections", 200),
    ("what callers asked", "{agent}/insights", 200),
)


def _visit(page: Page, url: str, status: int) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, (url, response)
    expect(page.locator("main")).to_be_visible()


def test_every_page_is_accessible_and_fits_a_phone(tmp_path: Path) -> None:
    findings = Findings()
    with agents_site(tmp_path) as (page, base, _):
        browser = page.context.browser
        assert browser is not None
        visitor = browser.new_page()
        for name, path, status in VISITOR_PAGES:
            _visit(visitor, base + path, status)
            findings.check(visitor, name)
        # A rights request answered on the page, then its receipt read out.
        visitor.goto(base + "/privacy/requests")
        visitor.select_option("#kind", "access")
        visitor.click("#rights button[type=submit]")
        expect(visitor.locator("#answer")).to_be_visible()
        findings.check(visitor, "privacy request answered")
        visitor.click("#receipt-link")
        expect(visitor.locator("#receipt-kind")).to_contain_text("Access")
        findings.check(visitor, "receipt")

        for name, path, status in SIGNED_IN_PAGES:
            _visit(page, base + path, status)
            findings.check(page, name)
        page.goto(base + "/agents")
        page.fill("#business-name", "Cutting Edge")
        page.click("#new-business button[type=submit]")
        expect(page.locator("#role")).to_have_text("Owner")
        business = page.url
        page.fill("#agent-name", "Front desk")
        page.fill("#agent-greeting", "Hello, how can I help?")
        page.click("#new-agent button[type=submit]")
        expect(page.locator("#agent-title")).to_be_visible()
        agent = page.url
        for name, path, status in BUSINESS_PAGES:
            _visit(page, path.format(business=business, agent=agent), status)
            findings.check(page, name)

    print(f"\nscreenshots of {len(findings.shots) // 2} pages in {SCREENSHOTS}")  # noqa: T201
    assert findings.problems == [], "\n".join(findings.problems)
