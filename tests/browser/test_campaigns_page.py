"""The campaigns pages in Chromium: a contact list uploaded from the page (its per-row report),
a campaign created from the form, its checks saying which fail, a start refused with the reason,
and a cancel."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import agents_site

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]

CSV = (
    "phone,name,consent,consent_source\n"
    "+12125550100,Ann,2026-10-01,web form\n"
    "+12125550100,Ann again,2026-10-01,web form\n"
    "12,Too short,,\n"
    "+12125550101,Bob,,\n"
)


def test_a_campaign_is_built_and_its_failing_checks_shown(tmp_path: Path) -> None:
    upload = tmp_path / "list.csv"
    upload.write_text(CSV)
    with agents_site(tmp_path) as (page, base, _):
        page.goto(base + "/agents")
        page.fill("#business-name", "Harbour Dental")
        page.click("#new-business button[type=submit]")
        page.wait_for_selector("#role")
        page.fill("#agent-name", "Reminders")
        page.fill("#agent-greeting", "Hello")
        page.click("#new-agent button[type=submit]")
        page.wait_for_selector("#agent-title")
        tenant = page.url.split("/agents/b/")[1].split("/")[0]
        page.goto(f"{base}/agents/b/{tenant}")
        page.clock.install()  # the page's timers run only when the test moves its clock
        page.click("#campaigns-link")
        page.wait_for_selector("#upload")
        assert page.is_hidden("#new-campaign") and page.is_visible("#no-list")
        page.set_input_files("#list-file", str(upload))
        page.fill("#list-name", "Patients")
        page.select_option("#list-region", "US")  # named, not an ISO code to type
        page.click("#upload button[type=submit]")
        page.wait_for_selector("#upload-report[data-ok=yes]")
        report = page.locator("#upload-report")
        expect(report).to_contain_text("2 contacts imported, 1 duplicate skipped, 1 row rejected")
        assert "Row 4" in report.inner_text()
        # The list shows at once, in the table and the campaign form, without a reload...
        page.wait_for_selector("#lists td:has-text('Patients')")
        expect(page.locator("#new-campaign")).to_be_visible()
        assert page.is_hidden("#no-list")
        # ...and the report stays, however long it is read, until it is dismissed.
        page.clock.run_for("01:00")
        expect(report).to_be_visible()
        assert "Row 4" in report.inner_text()
        page.click("#upload-dismiss")
        expect(report).to_be_hidden()
        page.fill("#c-name", "Check-up reminders")
        page.fill("#c-opening", "I am calling to remind you of your check-up.")
        page.select_option("#c-machine", "message")
        page.click("#new-campaign button[type=submit]")
        assert "needs the message" in page.inner_text("#error")  # nothing was created
        assert page.inner_text("#campaigns") == "No campaign yet."
        page.fill("#c-name", "Check-up reminders")
        page.fill("#c-opening", "I am calling to remind you of your check-up.")
        page.fill("#c-voicemail", "Please call us back.")
        page.select_option("#c-machine", "message")
        page.click("#new-campaign button[type=submit]")
        page.wait_for_selector("#campaign-name")
        assert page.inner_text("#state") == "Not started" and page.inner_text("#contacts") == "2"
        failing = page.eval_on_selector_all(
            "#checks li[data-ok=no]", "items => items.map(i => i.dataset.check)"
        )
        assert failing == ["caller_id_verified"], failing
        page.click("#do-start button")
        page.wait_for_selector("#error")
        assert "cannot start" in page.inner_text("#error")
        assert "caller id" in page.inner_text("#error")
        assert page.inner_text("#state") == "Not started"
        page.click("#do-cancel button")
        page.wait_for_selector("#campaign-calls tr[data-state=cancelled]")
        assert page.inner_text("#state") == "Cancelled"
        assert page.inner_text("#campaign-calls tbody tr td:nth-child(2)") == "Cancelled"
        page.goto(f"{base}/agents/b/{tenant}/campaigns")
        assert page.inner_text("#campaigns span[data-state=cancelled]") == "Cancelled"
