"""Privacy requests by phone number in Chromium, on a default ``ringfence serve`` (no carrier
account): the built-in test phone in one tab gets a drama number, the privacy page in another
asks for a code and a call, the phone tab answers and types the code on its keypad (RFC 4733
from the browser's phone), and the page then shows what is held, exports it and erases it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_phone_page import open_phone
from tests.support.browser import chromium
from tests.support.server import running_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def test_a_number_is_proved_on_the_test_phone_then_exported_and_erased(tmp_path: Path) -> None:
    env = {"RINGFENCE_CAPTCHA__MAX_NUMBER": "20000"}
    with running_server(tmp_path / "data", **env) as base, chromium() as browser:
        phone = browser.new_context().new_page()  # the phone, in a browser of its own
        number = open_phone(phone, base)
        page = browser.new_context().new_page()
        page.goto(base + "/privacy")
        page.click("#phone-requests")
        expect(page).to_have_url(base + "/privacy/phone")

        page.fill("#number", "12")
        page.click("#captcha input[type=checkbox]")
        expect(page.locator("#captcha .altcha")).to_have_attribute("data-state", "verified")
        page.click("#phone-offer button[type=submit]")
        expect(page.locator("#number-error")).not_to_be_empty()
        page.fill("#number", number)
        page.click("#captcha input[type=checkbox]")
        expect(page.locator("#captcha .altcha")).to_have_attribute("data-state", "verified")
        page.click("#phone-offer button[type=submit]")
        expect(page.locator("#code-box")).to_be_visible()
        code = page.inner_text("#code")
        page.click("#call-me")
        expect(phone.locator("#state")).to_have_attribute("data-state", "ringing")
        phone.click("#answer")
        expect(phone.locator("#state")).to_have_attribute("data-state", "answered")
        for digit in code:
            phone.click(f"#pad button[data-digit='{digit}']")
        expect(page.locator("#progress li[data-state=ended]")).to_have_attribute(
            "data-outcome", "proved", timeout=30_000
        )
        expect(page.locator("#proved")).to_be_visible()
        expect(page.locator("#proved-number")).to_contain_text(number[-2:])
        assert number[3:-2] not in page.inner_text("#proved-number")

        page.check("input[name=kind][value=access]")
        page.click("#phone-request button[type=submit]")
        expect(page.locator("#export-link")).to_be_visible()
        with page.expect_download() as download:
            page.click("#export-link")
        assert '"data"' in Path(download.value.path()).read_text()

        page.check("input[name=kind][value=erase]")
        page.click("#phone-request button[type=submit]")
        expect(page.locator("#phone-request")).to_be_hidden()
        expect(page.locator("#request-id")).not_to_be_empty()
        assert page.request.get(base + "/api/privacy/phone/summary").status == 403
