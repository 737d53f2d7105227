"""Every page a visitor or a signed-in user reaches works under the real Content-Security-Policy:
Chromium reports no violation (no inline script, no ``eval``, nothing from elsewhere) and no
script error on any of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Error, Page, expect

from ringfence.web.security_headers import PAGE_POLICY
from tests.support.browser import agents_site

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]

# Runs before any of the page's own scripts (installed by the browser, so outside the page's
# policy): a violation the console might word differently is still reported, by its directive.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});
"""

VISITOR_PAGES = (
    "/",
    "/ring",
    "/phone",
    "/numbers",
    "/roulette",
    "/account/signup",
    "/account/login",
    "/account/reset",
    "/privacy",
    "/privacy/now",
    "/privacy/requests",
)
SIGNED_IN_PAGES = (
    "/",
    "/account",
    "/dial",
    "/ring",
    "/numbers",
    "/roulette",
    "/agents",
    "/privacy/requests",
)


class Violations:
    """What the browser reported on each page: CSP refusals and uncaught script errors."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page: Page) -> None:
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self._error(page, error))

    def _console(self, page: Page, message: ConsoleMessage) -> None:
        text = message.text
        if "Refused to" in text or text.startswith("CSP violation"):
            self.seen.append(f"{page.url}: {text}")

    def _error(self, page: Page, error: Error) -> None:
        self.seen.append(f"{page.url}: {error.name}: {error.message}")


def _visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, url
    # The policy is the one the page was served with, not a looser one.
    assert response.headers["content-security-policy"] == PAGE_POLICY, url
    expect(page.locator("main")).to_be_visible()


def test_no_page_breaks_the_content_security_policy(tmp_path: Path) -> None:
    violations = Violations()
    with agents_site(tmp_path) as (page, base, _):
        browser = page.context.browser
        assert browser is not None
        visitor = browser.new_context().new_page()
        violations.watch(visitor)
        for path in VISITOR_PAGES:
            _visit(visitor, base + path)

        violations.watch(page)
        for path in SIGNED_IN_PAGES:
            _visit(page, base + path)
        # A business and an agent, made from their forms, to reach their pages.
        page.goto(base + "/agents")
        page.fill("#business-name", "Cutting Edge")
        page.click("#new-business button[type=submit]")
        page.wait_for_selector("#role")
        business = page.url
        page.fill("#agent-name", "Front desk")
        page.fill("#agent-greeting", "Hello, how can I help?")
        page.click("#new-agent button[type=submit]")
        page.wait_for_selector("#agent-title")
        agent = page.url
        for url in (
            business,
            agent,
            business + "/calls",
            business + "/campaigns",
            business + "/evaluations",
        ):
            _visit(page, url)

    assert violations.seen == []
