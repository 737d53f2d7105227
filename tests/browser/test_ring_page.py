"""The ring page in Chromium: country preset from the IP, live checks, the captcha's real
proof-of-work computed in the page, Ring with live progress, SIPp as the carrier and the phone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import WAIT_MS, chromium
from tests.support.server import free_port, running_server
from tests.support.sipp import free_rtp_range, sipp_process

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def _ring_env(carrier_port: int) -> dict[str, str]:
    low, high = free_rtp_range()
    return {
        "RINGFENCE_TELEPHONY__ENABLED": "true",
        "RINGFENCE_TELEPHONY__SIP_PORT": str(free_port()),
        "RINGFENCE_TELEPHONY__RTP_PORT_MIN": str(low),
        "RINGFENCE_TELEPHONY__RTP_PORT_MAX": str(high),
        "RINGFENCE_TELEPHONY__CARRIERS": json.dumps(
            [{"name": "sipp", "host": "127.0.0.1", "port": carrier_port}]
        ),
        "RINGFENCE_CAPTCHA__MAX_NUMBER": "20000",
        "RINGFENCE_RING__MESSAGE": "Ringfence test.",
        "RINGFENCE_RING__RING_TIME": "5",
        # The browser's requests come from loopback with the address a proxy would add.
        "RINGFENCE_WEB__TRUSTED_PROXIES": '["127.0.0.1"]',
    }


def test_ring_my_phone(tmp_path: Path) -> None:
    with (
        # SIPp's clock starts before the server, the page and the proof-of-work: a long timeout.
        sipp_process("uas", timeout="120s") as (phone, sipp_port, messages),
        running_server(tmp_path / "data", **_ring_env(sipp_port)) as base,
        chromium() as browser,
    ):
        context = browser.new_context(extra_http_headers={"X-Forwarded-For": "81.2.69.142"})
        page = context.new_page()
        page.goto(base + "/")
        page.click("a[data-service=ring]")
        page.wait_for_url("**/ring")
        assert page.input_value("#country") == "GB"  # from the (forwarded) IP address

        page.locator("#number").press_sequentially("09098790000")
        hint = page.locator("#number-check")
        expect(hint).to_have_attribute("data-ok", "0")
        assert "premium-rate numbers are never called" in hint.inner_text()

        page.fill("#number", "")
        page.locator("#number").press_sequentially("02079460958")
        expect(hint).to_have_attribute("data-ok", "1")
        assert hint.inner_text() == "✓ +44 20 7946 0958 · a fixed line · United Kingdom"
        assert page.input_value("#number") == "020 7946 0958"  # formatted as typed

        page.check("#remember")
        page.click("#captcha input[type=checkbox]")
        page.wait_for_selector("#captcha .altcha[data-state=verified]", timeout=WAIT_MS)
        page.click("#ring button[type=submit]")
        page.wait_for_selector("#progress li[data-state=answered]", timeout=WAIT_MS)
        ended = page.wait_for_selector("#progress li[data-state=ended]", timeout=WAIT_MS)
        assert ended is not None and ended.get_attribute("data-outcome") == "answered"
        states = page.eval_on_selector_all("#progress li", "els => els.map(e => e.dataset.state)")
        assert states == ["dialling", "ringing", "answered", "ended"]

        # Remembered on the device only: a cookie for the ring page, refilled on the next visit.
        saved = [c for c in context.cookies() if c["name"] == "rf_ring_number"]
        assert saved and saved[0]["path"] == "/ring" and saved[0]["sameSite"] == "Strict"
        page.reload()
        expect(page.locator("#number")).to_have_value("020 7946 0958")  # refilled by the page
        assert page.is_checked("#remember")
        context.close()

        assert phone.wait(timeout=30) == 0
    invites = [
        line.strip()
        for line in messages.read_text(errors="replace").splitlines()
        if line.strip().startswith("INVITE ")
    ]
    assert len(invites) == 1 and invites[0].startswith("INVITE sip:+442079460958@127.0.0.1")


def test_the_page_says_when_ringing_is_not_set_up(tmp_path: Path) -> None:
    off = {"RINGFENCE_TELEPHONY__TEST_PHONE__ENABLED": "false"}  # no carrier, no test phone
    with running_server(tmp_path / "data", **off) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + "/ring")
        assert "Ringing is not set up on this server" in page.inner_text("#unavailable")
        assert page.is_disabled("#ring-button")
        # Countries by the names they use now, in the reader's language.
        names = page.eval_on_selector_all("#country option", "os => os.map(o => o.text)")
        assert "Türkiye (+90)" in names and "Eswatini (+268)" in names
        assert "Turkey (+90)" not in names and "Swaziland (+268)" not in names
        german = browser.new_page(extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"})
        german.goto(base + "/ring")
        assert "Deutschland (+49)" in german.inner_text("#country")
        page.wait_for_selector("altcha-widget .altcha")  # the widget is served by the app
