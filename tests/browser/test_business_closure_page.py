"""An owner closes their business in Chromium: the last owner cannot just leave, the name must be
typed to confirm, and the closed business's page says when its data goes, with nothing left to
change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.accessibility import Findings
from tests.support.browser import agents_site

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def test_an_owner_closes_the_business(tmp_path: Path) -> None:
    findings = Findings()
    with agents_site(tmp_path) as (page, base, _):
        page.goto(base + "/agents")
        page.fill("#business-name", "Cutting Edge")
        page.click("#new-business button[type=submit]")
        expect(page.locator("#role")).to_have_text("Owner")
        business = page.url
        page.fill("#agent-name", "Front desk")
        page.fill("#agent-greeting", "Hello, how can I help?")
        page.click("#new-agent button[type=submit]")
        expect(page.locator("#agent-title")).to_be_visible()
        page.goto(business)
        findings.check(page, "business with its close form")

        # Alone as owner, leaving is refused with what to do instead.
        page.click("#leave button[type=submit]")
        expect(page.locator("#error")).to_contain_text("Cutting Edge would have no owner")

        # The name, typed wrong, then right.
        page.fill("#close-confirm", "Cutting")
        page.click("#close button[type=submit]")
        expect(page.locator("#error")).to_contain_text("type the business's name")
        page.fill("#close-confirm", "cutting edge")
        page.click("#close button[type=submit]")
        closed = page.locator("#closed")
        expect(closed).to_contain_text("This business is closed")
        purge = dt.datetime.fromisoformat(closed.locator("time").get_attribute("datetime") or "")
        days = (purge - dt.datetime.now(dt.UTC)) / dt.timedelta(days=1)
        assert 29.9 < days <= 30  # the declared period, from now
        assert page.locator("#close").count() == 0
        assert page.locator("#new-agent").count() == 0
        assert page.locator("#leave").count() == 0
        assert "Front desk" in page.inner_text("#agents")  # still readable until the purge
        findings.check(page, "closed business")

        page.goto(base + "/agents")
        expect(page.locator("#businesses")).to_contain_text("closed, deleted on")
    assert findings.problems == [], "\n".join(findings.problems)
