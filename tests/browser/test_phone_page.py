"""The test phone in Chromium, on a default ``ringfence serve`` (no carrier account): a tab gets a
drama number, ring's page in another tab rings it, the phone tab answers and hears ring's
message over WebRTC (inbound bytes and audio energy from getStats), and hangs up; the tab calls
an agent's receptionist and hears its greeting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import chromium
from tests.support.server import running_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]
TEST_NUMBER = re.compile(r"^\+441134960\d{3}$")
MORE_THAN_2000_BYTES = re.compile(r"^(?!2000$)(?:[2-9]\d{3}|[1-9]\d{4,})$")
SOME_ENERGY = re.compile(r"^(?!0\.000000$)\d+\.\d{6}$")  # getStats' totalAudioEnergy above 0


def open_phone(page: Page, base: str) -> str:
    """Open /phone and wait for its line: the number it rings under."""
    page.goto(base + "/phone")
    number = page.locator("#number")
    expect(number).to_have_attribute("data-number", TEST_NUMBER)
    expect(page.locator("#state")).to_have_attribute("data-state", "idle")
    return number.get_attribute("data-number") or ""


def hears(page: Page) -> None:
    """Audio arrives in the tab over WebRTC, and it is not silence."""
    quality = page.locator("#quality")
    expect(quality).to_have_attribute("data-bytes", MORE_THAN_2000_BYTES)
    expect(quality).to_have_attribute("data-energy", SOME_ENERGY)


def test_ring_rings_the_test_phone_tab(tmp_path: Path) -> None:
    env = {"RINGFENCE_CAPTCHA__MAX_NUMBER": "20000", "RINGFENCE_RING__MESSAGE": "Ringfence test."}
    with running_server(tmp_path / "data", **env) as base, chromium() as browser:
        context = browser.new_context()
        phone = context.new_page()
        number = open_phone(phone, base)
        shown = phone.inner_text("#number")
        assert shown.startswith("+44 113 496 0") and shown.replace(" ", "") == number

        ring = context.new_page()  # another tab of the same browser
        ring.goto(base + "/ring")
        ring.locator("#number").press_sequentially(shown)
        expect(ring.locator("#number-check")).to_have_attribute("data-ok", "1")
        ring.click("#captcha input[type=checkbox]")
        expect(ring.locator("#captcha .altcha")).to_have_attribute("data-state", "verified")
        ring.click("#ring button[type=submit]")

        expect(phone.locator("#state")).to_have_attribute("data-state", "ringing")
        expect(phone.locator("#incoming")).to_be_visible()
        phone.click("#answer")
        expect(phone.locator("#state")).to_have_attribute("data-state", "answered")
        expect(ring.locator("#progress li[data-state=answered]")).to_have_count(1)
        hears(phone)  # ring's spoken message
        phone.click("#hangup")
        expect(phone.locator("#state")).to_have_attribute("data-state", "ended")
        ended = ring.locator("#progress li[data-state=ended]")
        expect(ended).to_have_attribute("data-outcome", "answered")

        # The same browser keeps its number on reload; another browser gets another one.
        assert open_phone(phone, base) == number
        stranger = browser.new_context().new_page()
        assert open_phone(stranger, base) != number
        context.close()
