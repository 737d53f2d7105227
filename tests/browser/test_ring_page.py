"""The ring page in Chromium: country preset from the IP, live checks, the captcha's real
proof-of-work computed in the page, Ring with live progress, SIPp as the carrier and the phone;
which number calls, Cancel, "ring until I pick up", and the installable phone-sized page."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.browser import WAIT_MS, chromium, chromium_profile, new_page
from tests.support.server import free_port, running_server
from tests.support.sipp import free_rtp_range, sipp_process

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


PHONE = {"width": 390, "height": 844}  # a phone held in one hand (iPhone 12 to 15)


def _ring_env(carrier_port: int, caller_id: str | None = None, **ring: str) -> dict[str, str]:
    low, high = free_rtp_range()
    carrier = {"name": "sipp", "host": "127.0.0.1", "port": carrier_port, "caller_id": caller_id}
    return {
        "RINGFENCE_TELEPHONY__ENABLED": "true",
        "RINGFENCE_TELEPHONY__SIP_PORT": str(free_port()),
        "RINGFENCE_TELEPHONY__RTP_PORT_MIN": str(low),
        "RINGFENCE_TELEPHONY__RTP_PORT_MAX": str(high),
        "RINGFENCE_TELEPHONY__CARRIERS": json.dumps([carrier]),
        "RINGFENCE_CAPTCHA__MAX_NUMBER": "20000",
        "RINGFENCE_RING__MESSAGE": "Ringfence test.",
        "RINGFENCE_RING__RING_TIME": "5",
        # The browser's requests come from loopback with the address a proxy would add.
        "RINGFENCE_WEB__TRUSTED_PROXIES": '["127.0.0.1"]',
        **{f"RINGFENCE_RING__{name.upper()}": value for name, value in ring.items()},
    }


def _phone_page(browser: Browser | BrowserContext) -> Page:
    if isinstance(browser, Browser):
        page = new_page(browser)
    else:
        page = browser.new_page()
        page.set_default_timeout(WAIT_MS)
        page.set_default_navigation_timeout(WAIT_MS)
    page.set_viewport_size(PHONE)
    return page


def _no_horizontal_overflow(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == PHONE["width"], widths


def _solve_and_ring(page: Page, number: str) -> None:
    page.fill("#number", number)
    page.click("#captcha input[type=checkbox]")
    page.wait_for_selector("#captcha .altcha[data-state=verified]", timeout=WAIT_MS)
    page.click("#ring-button")


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


def test_which_number_calls_and_cancel_on_a_phone(tmp_path: Path) -> None:
    """At 390 px: the caller ID before and during the ring, Cancel ends the call while it rings
    (SIPp, which rings forever, gets our CANCEL), and nobody else can cancel it."""
    with (
        sipp_process("uas_ring_forever", timeout="150s") as (phone, sipp_port, messages),
        running_server(
            tmp_path / "data", **_ring_env(sipp_port, "+442079460123", ring_time="100")
        ) as base,
        chromium() as browser,
    ):
        page = _phone_page(browser)
        page.goto(base + "/ring")
        calling_from = page.locator("#calling-from")
        expect(calling_from).to_have_text("Your phone will ring from +44 20 7946 0123.")
        page.select_option("#country", "GB")
        _solve_and_ring(page, "020 7946 0958")
        page.wait_for_selector("#progress li[data-state=ringing]")
        expect(calling_from).to_contain_text("Calling your phone from +44 20 7946 0123")
        cancel = page.locator("#cancel-button")
        expect(cancel).to_be_visible()
        expect(page.locator("#ring-button")).to_be_hidden()
        _no_horizontal_overflow(page)

        # Another browser holds no token: it is refused, and the ring goes on.
        ring_id = page.get_attribute("#progress", "data-ring")
        stranger = browser.new_context()
        refused = stranger.request.post(
            f"{base}/api/ring/{ring_id}/cancel", data={"token": "not-the-token"}
        )
        assert refused.status == 403 and "only the page" in refused.json()["error"]["message"]
        stranger.close()
        expect(page.locator("#progress li[data-state=ended]")).to_have_count(0)

        cancel.click()
        ended = page.locator("#progress li[data-state=ended]")
        expect(ended).to_have_attribute("data-outcome", "cancelled")
        expect(ended).to_contain_text("Cancelled")
        expect(page.locator("#ring-button")).to_be_visible()
        expect(cancel).to_be_hidden()
        expect(calling_from).to_have_text("Your phone will ring from +44 20 7946 0123.")
        assert phone.wait(timeout=60) == 0  # the scenario ends only on a CANCEL
    assert "CANCEL sip:+442079460958@" in messages.read_text(errors="replace")


def test_ring_until_i_pick_up_rings_past_the_ring_time_and_stops_at_the_cap(
    tmp_path: Path,
) -> None:
    ring_time, cap = 3, 9
    ring = {"ring_time": str(ring_time), "until_pickup_max": str(cap)}
    with (
        sipp_process("uas_ring_forever", timeout="150s") as (phone, sipp_port, messages),
        running_server(tmp_path / "data", **_ring_env(sipp_port, **ring)) as base,
        chromium() as browser,
    ):
        page = _phone_page(browser)
        page.goto(base + "/ring")
        expect(page.locator("label:has(#until-pickup)")).to_contain_text("up to 9 seconds")
        page.select_option("#country", "GB")
        page.check("#until-pickup")
        _solve_and_ring(page, "020 7946 0958")
        page.wait_for_selector("#progress li[data-state=ringing]")
        rang_from = time.monotonic()
        expect(page.locator("#calling-from")).to_contain_text("9 seconds at most")
        ended = page.locator("#progress li[data-state=ended]")
        expect(ended).to_have_attribute("data-outcome", "no_answer")
        rang_for = time.monotonic() - rang_from
        assert phone.wait(timeout=60) == 0  # SIPp got our CANCEL at the cap
    # Rang past the normal ring time; the page saw "ringing" after the INVITE left, so a lower
    # bound of the cap less a second of page latency.
    assert rang_for > cap - 1 > ring_time
    assert messages.read_text(errors="replace").count("CANCEL sip:") >= 1


def test_the_page_installs_works_offline_and_fits_one_hand(tmp_path: Path) -> None:
    """A default install (the built-in test phone is the trunk): the manifest, its icons and
    the service worker make the page installable (Chromium's own check), offline it shows the
    offline page, and at 390 px nothing overflows and Ring is a big button near the bottom."""
    with chromium_profile(tmp_path / "profile") as browser:
        with running_server(tmp_path / "data") as base:
            page = _phone_page(browser)
            page.goto(base + "/ring")
            expect(page.locator("#calling-from")).to_have_text(
                "Your phone will ring from +44 113 496 0000."
            )
            _no_horizontal_overflow(page)
            box = page.locator("#ring-button").bounding_box()
            assert box is not None and box["width"] >= 340 and box["height"] >= 56, box
            assert box["y"] + box["height"] <= PHONE["height"], box  # on screen, not scrolled to
            number = page.locator("#number").bounding_box()
            assert number is not None and number["width"] >= 340 and number["height"] >= 52

            manifest_link = page.get_attribute("link[rel=manifest]", "href")
            response = page.request.get(base + str(manifest_link))
            assert response.ok and "manifest+json" in response.headers["content-type"]
            manifest: dict[str, Any] = json.loads(response.text())
            assert manifest["start_url"] == "/ring" and manifest["display"] == "standalone"
            for icon in manifest["icons"]:
                size = page.evaluate(
                    "async (src) => { const i = new Image(); i.src = src; await i.decode();"
                    " return [i.naturalWidth, i.naturalHeight]; }",
                    icon["src"],
                )
                if icon["sizes"] != "any":
                    assert "x".join(map(str, size)) == icon["sizes"], icon
                assert size[0] > 0, icon

            state = page.evaluate("async () => (await navigator.serviceWorker.ready).active.state")
            assert state in ("activating", "activated")
            cdp = page.context.new_cdp_session(page)
            app_manifest = cdp.send("Page.getAppManifest")
            assert app_manifest.get("errors") == [], app_manifest.get("errors")
            installable = cdp.send("Page.getInstallabilityErrors")
            # Playwright's contexts are incognito profiles, where Chromium installs nothing.
            errors = [
                e for e in installable["installabilityErrors"] if e["errorId"] != "in-incognito"
            ]
            assert errors == [], installable
        # The server is gone: the worker answers the navigation with the offline page.
        page.goto(base + "/ring")
        expect(page.locator("#offline")).to_contain_text("This device is offline")
        _no_horizontal_overflow(page)
