"""Privacy in Chromium: the policy pages, the consent banner (and GPC), a rights request flow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import chromium
from tests.support.server import running_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def test_policy_banner_and_rights_requests(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as base, chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()

        page.goto(base + "/privacy")
        assert page.locator("#audit_log .retention").inner_text().startswith("2 years")
        version = page.inner_text("#policy-version")
        page.goto(base + "/privacy.json")
        assert json.loads(page.inner_text("body"))["version"] == version

        # Nothing optional before a choice; the banner asks; "accept" lets the page remember.
        page.goto(base + "/numbers")
        page.wait_for_selector("#consent-banner:not([hidden])")
        page.select_option("#region", "DE")
        assert not [c for c in context.cookies() if c["name"] == "rf_numbers_region"]
        page.click("[data-consent=accept]")
        page.wait_for_selector("#consent-banner", state="hidden")
        page.select_option("#region", "SE")
        names = {c["name"]: c["value"] for c in context.cookies()}
        assert names["rf_numbers_region"] == "SE" and "rf_anon" in names
        page.reload()
        assert page.locator("#region").input_value() == "SE"
        assert page.locator("#consent-banner").is_hidden()

        # Access: the export holds the consent just given; then erase.
        page.goto(base + "/privacy/requests")
        page.select_option("#kind", "access")
        page.click("#rights button[type=submit]")
        page.wait_for_selector("#answer:not([hidden])")
        with page.expect_download() as info:
            page.click("#export-link")
        export = json.loads(Path(info.value.path()).read_text())
        records = export["data"]["consent_record"]["records"]
        assert {r["purpose"] for r in records} == {"preferences", "sale_sharing"}
        access = page.inner_text("#request-id")

        page.select_option("#kind", "erase")
        page.click("#rights button[type=submit]")
        expect(page.locator("#request-id")).not_to_have_text(access)
        assert "rf_anon" not in {c["name"] for c in context.cookies()}
        # The receipt reads as a page, in words, and the signed document is one click away.
        page.click("#receipt-link")
        expect(page.locator("#receipt-kind")).to_contain_text("Erase")
        assert '"kind": "erase"' in page.locator("#receipt").text_content()
        page.goto(base + "/privacy/now")
        assert page.inner_text("tr[data-category=consent_record] .records") == "0"
        page.goto(base + "/privacy/requests")
        assert page.locator("#my-requests li").count() == 2
        context.close()

        # Global Privacy Control: no banner choices, a notice, and optional cookies never set.
        gpc = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
        gpc_page = gpc.new_page()
        gpc_page.goto(base + "/numbers")
        gpc_page.wait_for_selector(".gpc-notice:not([hidden])")
        assert gpc_page.locator(".choices").is_hidden()
        gpc_page.select_option("#region", "GB")
        assert not [c for c in gpc.cookies() if c["name"] == "rf_numbers_region"]
        gpc.close()


def test_privacy_choices_from_any_page_withdraw_and_delete_the_cookies(tmp_path: Path) -> None:
    """The footer's "Privacy choices" is on every page; withdrawing the consent that let a page
    remember the country deletes that cookie at once, and the page forgets it."""
    with running_server(tmp_path / "data") as base, chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        for path in ("/", "/ring", "/roulette", "/account/login", "/privacy", "/no-such-page"):
            page.goto(base + path)
            expect(page.locator("footer #privacy-choices-link")).to_have_attribute(
                "href", "/privacy/choices"
            )

        page.goto(base + "/numbers")
        page.click("[data-consent=accept]")
        page.wait_for_selector("#consent-banner", state="hidden")
        page.select_option("#region", "SE")
        assert {c["name"]: c["value"] for c in context.cookies()}["rf_numbers_region"] == "SE"

        page.click("footer #privacy-choices-link")
        page.wait_for_url("**/privacy/choices")
        box = page.locator("input[name=preferences]")
        expect(box).to_be_checked()
        box.uncheck()
        page.click("#privacy-choices button[type=submit]")
        expect(page.locator("#choices-saved")).to_be_visible()
        names = {c["name"]: c["value"] for c in context.cookies()}
        assert "rf_numbers_region" not in names, names
        assert names["rf_consent"] == "preferences:0.sale_sharing:0"
        expect(page.locator("input[name=preferences]")).not_to_be_checked()
        page.goto(base + "/numbers")
        assert page.locator("#region").input_value() != "SE"
        page.select_option("#region", "DE")  # nothing optional is set again without consent
        assert "rf_numbers_region" not in {c["name"] for c in context.cookies()}

        # The CPRA limit, for a number: a wrong one is said next to the field, kept as typed.
        page.goto(base + "/privacy/choices")
        page.check("input[name=limit_sensitive]")
        page.fill("#phone", "12")
        page.click("#privacy-choices button[type=submit]")
        expect(page.locator("#phone-error")).to_be_visible()
        expect(page.locator("#phone")).to_have_value("12")
        page.fill("#phone", "+44 20 7946 0018")
        page.click("#privacy-choices button[type=submit]")
        expect(page.locator("#choices-saved")).to_be_visible()
        expect(page.locator("input[name=limit_sensitive]")).to_be_checked()
