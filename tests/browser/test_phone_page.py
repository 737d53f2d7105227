"""The test phone in Chromium, on a default ``ringfence serve`` (no carrier account): a tab gets a
drama number, ring's page in another tab rings it, the phone tab answers and hears ring's
message over WebRTC (inbound bytes and audio energy from getStats), and hangs up; the tab calls
an agent's receptionist and hears its greeting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import agents_site, chromium
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
        expect(ring.locator("#calling-from")).to_have_text(
            "Your phone will ring from +44 113 496 0000."  # the built-in trunk's caller ID
        )
        ring.locator("#number").press_sequentially(shown)
        expect(ring.locator("#number-check")).to_have_attribute("data-ok", "1")
        ring.click("#captcha input[type=checkbox]")
        expect(ring.locator("#captcha .altcha")).to_have_attribute("data-state", "verified")
        ring.click("#ring button[type=submit]")

        expect(phone.locator("#state")).to_have_attribute("data-state", "ringing")
        expect(phone.locator("#incoming")).to_be_visible()
        expect(phone.locator("#caller")).to_have_text("+441134960000")  # as the page said
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


def test_the_test_phone_calls_an_agents_receptionist(tmp_path: Path) -> None:
    with agents_site(tmp_path) as (owner, base, _):
        browser = owner.context.browser
        assert browser is not None
        phone = browser.new_page()  # the test phone, in a browser context of its own
        number = open_phone(phone, base)

        owner.goto(base + "/agents")
        owner.fill("#business-name", "Cutting Edge")
        owner.click("#new-business button[type=submit]")
        # The business proves the test phone's number: a call to it asks for the page's code.
        owner.fill("#number-number", number)
        owner.click("#new-number button[type=submit]")
        code = owner.inner_text("#number-code")
        owner.click("#number-call button[type=submit]")
        expect(phone.locator("#state")).to_have_attribute("data-state", "ringing")
        phone.click("#answer")
        expect(phone.locator("#state")).to_have_attribute("data-state", "answered")
        for digit in code:
            phone.click(f"#pad button[data-digit='{digit}']")
        expect(owner.locator("#verifying")).to_have_attribute("data-outcome", "verified")
        expect(owner.locator("#numbers")).to_contain_text(number)

        owner.fill("#agent-name", "Front desk")
        owner.fill("#agent-greeting", "Hello, Cutting Edge, how can I help?")
        owner.click("#new-agent button[type=submit]")
        owner.wait_for_selector("#agent-title")
        owner.fill("#agent-phone", number)
        owner.click("#edit-agent button[type=submit]")
        expect(owner.locator("#phone-number")).to_have_text(number)

        expect(phone.locator("#state")).to_have_attribute("data-state", "ended")
        phone.fill("#to", number)
        phone.click("#call")
        # The receptionist loads its speech models on the first call: answered within a minute.
        expect(phone.locator("#state")).to_have_attribute("data-state", "answered", timeout=90_000)
        hears(phone)  # the disclosure and the greeting
        phone.click("#hangup")
        expect(phone.locator("#state")).to_have_attribute("data-state", "ended")


def test_dial_calls_the_test_phone_for_nothing(tmp_path: Path) -> None:
    with agents_site(tmp_path) as (caller, base, _):  # a default server, someone signed in
        browser = caller.context.browser
        assert browser is not None
        phone = browser.new_page()
        number = open_phone(phone, base)

        caller.goto(base + "/dial")
        assert caller.locator("#unavailable").count() == 0  # no carrier, no rate table: callable
        caller.fill("#number", number)
        expect(caller.locator("#quote")).to_contain_text("0.00 EUR/min")
        caller.click("#call")
        expect(phone.locator("#state")).to_have_attribute("data-state", "ringing")
        phone.click("#answer")
        expect(caller.locator("#state")).to_have_attribute("data-state", "answered")
        hears(phone)  # the caller's (fake) microphone, through dial, SIP and the test phone
        expect(caller.locator("#quality")).to_have_attribute("data-bytes", MORE_THAN_2000_BYTES)
        caller.click("#hangup")
        expect(caller.locator("#state")).to_have_attribute("data-state", "ended")
        expect(phone.locator("#state")).to_have_attribute("data-state", "ended")
        assert caller.get_attribute("#state", "data-cost") == "0"
