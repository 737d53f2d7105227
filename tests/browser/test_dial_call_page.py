"""dial's call page in Chromium, against a real server and SIPp: the keypad sends RFC 4733 key
presses that the far end reads and the page shows; mute silences the browser's microphone at the
far end; hold puts the SIP leg on hold by re-INVITE (SIPp checks a=sendonly, then a=sendrecv);
the timer runs from the answer; the call's quality shows after it and is kept with the call.
And the page installs as an app and fits a 390 px phone screen, on a default install."""

from __future__ import annotations

import json
import math
import re
import sqlite3
import wave
from pathlib import Path

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_phone_page import open_phone
from tests.support.browser import agents_site, chromium, new_page, sign_up_and_log_in
from tests.support.handset import handset
from tests.support.mail import smtp_server
from tests.support.server import free_port, running_server
from tests.support.sipp import free_rtp_range, sipp_process
from tests.support.stripe import SECRET, event, paid, sign

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]
RATES = "prefix,price_per_minute,increment,connection_fee,currency,name\n44,60,1/1,10,EUR,UK\n"
PHONE_WIDTH = 390


def _tone_file(path: Path) -> Path:
    """A steady 440 Hz tone for Chromium's fake microphone (its own beeps are 20 ms a second
    apart: too sparse to tell a muted microphone from a quiet one)."""
    t = np.arange(48000 * 2) / 48000
    samples = (12000 * np.sin(2 * math.pi * 440 * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(samples.tobytes())
    return path


def _credit(base: str, db: Path, amount: int) -> None:
    account = sqlite3.connect(db).execute("select id from accounts").fetchone()[0]
    payload = event("checkout.session.completed", paid(account, amount))
    credited = httpx.post(
        base + "/api/billing/stripe/webhook",
        content=payload,
        headers={"Stripe-Signature": sign(payload)},
    )
    assert credited.json() == {"result": "credited"}


def _post(page: Page, base: str, path: str, body: dict[str, object]) -> tuple[int, str]:
    """A call to the API with the page's session and CSRF token, as its script makes them."""
    csrf = page.get_attribute("#wallet", "data-csrf") or ""
    response = page.request.post(
        base + path,
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf},  # fmt: skip
    )
    return response.status, response.text()


def test_keypad_mute_hold_timer_and_quality_during_a_call(tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    low, high = free_rtp_range()
    tone = _tone_file(tmp_path / "tone.wav")
    with smtp_server() as (inbox, mail_port), handset() as phone:
        with sipp_process("uas_hold_ear", fill={"ear_port": str(phone.port)}, timeout="180s") as (
            carrier,
            sipp_port,
            messages,
        ):
            web_port = free_port()
            env = {
                "RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{web_port}",
                "RINGFENCE_TELEPHONY__ENABLED": "true",
                "RINGFENCE_TELEPHONY__SIP_PORT": str(free_port()),
                "RINGFENCE_TELEPHONY__RTP_PORT_MIN": str(low),
                "RINGFENCE_TELEPHONY__RTP_PORT_MAX": str(high),
                "RINGFENCE_TELEPHONY__CARRIERS": json.dumps(
                    [{"name": "sipp", "host": "127.0.0.1", "port": sipp_port}]
                ),
                "RINGFENCE_BILLING__RATES_FILE": str(rates),
                "RINGFENCE_BILLING__STRIPE_WEBHOOK_SECRET": SECRET,
                "RINGFENCE_MAIL__SMTP_HOST": "127.0.0.1",
                "RINGFENCE_MAIL__SMTP_PORT": str(mail_port),
                "RINGFENCE_MAIL__STARTTLS": "false",
            }
            data = tmp_path / "data"
            with (
                running_server(data, port=web_port, **env) as base,
                chromium([f"--use-file-for-fake-audio-capture={tone}"]) as browser,
            ):
                page = new_page(browser)
                sign_up_and_log_in(page, base, inbox, "caller@example.org")
                _credit(base, data / "ringfence.db", 500)
                page.goto(base + "/dial")
                # Bad input before any call: a clear 4xx with a message, nothing changed.
                status, text = _post(page, base, "/api/dial/calls/nope/hold", {"on": True})
                assert status == 404 and "no call of yours" in text
                status, text = _post(page, base, "/api/dial/calls/nope/dtmf", {"digit": "12"})
                assert status == 422
                expect(page.locator("#hold")).to_be_disabled()

                page.select_option("#country", "GB")
                page.fill("#number", "020 7946 0958")
                expect(page.locator("#quote")).to_contain_text("/min")
                page.click("#call")
                expect(page.locator("#state")).to_have_attribute("data-state", "answered")
                call_id = page.evaluate("window.dial.callId")
                # The browser's microphone reaches the far end.
                phone.until(phone.sounding)
                expect(page.locator("#timer")).not_to_have_text("0:00")

                # Keys: RFC 4733 events, read by the handset; the page shows what it sent.
                for key in "12#":
                    page.click(f"#pad button[data-digit='{key}']")
                    expect(page.locator("#digits")).to_contain_text(key)
                phone.until(lambda: len(phone.digits) >= 3)
                assert phone.digits == ["1", "2", "#"]
                assert page.inner_text("#digits") == "12#"
                assert page.input_value("#number") == "020 7946 0958"  # not typed into it
                status, text = _post(page, base, f"/api/dial/calls/{call_id}/dtmf", {"digit": "x"})
                assert status == 403 and "not a DTMF digit" in text

                # Mute: the far end hears silence; unmute: the microphone again.
                page.click("#mute")
                expect(page.locator("#mute")).to_have_attribute("aria-pressed", "true")
                assert page.evaluate("window.dial.stream.getAudioTracks()[0].enabled") is False
                phone.until(phone.silent)
                page.click("#mute")
                expect(page.locator("#mute")).to_have_attribute("aria-pressed", "false")
                phone.until(phone.sounding)

                # Hold: a re-INVITE with a=sendonly (SIPp checks it); silence meanwhile.
                page.click("#hold")
                expect(page.locator("#hold")).to_have_attribute("aria-pressed", "true")
                expect(page.locator("#state")).to_have_attribute("data-state", "held")
                phone.until(phone.silent)
                status, _ = _post(page, base, f"/api/dial/calls/{call_id}/hold", {"on": "maybe"})
                assert status == 422
                page.click("#hold")
                expect(page.locator("#hold")).to_have_attribute("aria-pressed", "false")
                expect(page.locator("#state")).to_have_attribute("data-state", "answered")
                phone.until(phone.sounding)
                timer = page.inner_text("#timer")
                assert re.fullmatch(r"\d+:\d\d", timer) and timer != "0:00"

                page.click("#hangup")
                expect(page.locator("#state")).to_have_attribute("data-state", "ended")
                shown = page.locator("#call-quality")
                expect(shown).to_be_visible()
                expect(shown).to_contain_text(re.compile(r"Call quality: (Good|Fair|Poor)\."))
                expect(shown).to_contain_text(re.compile(r"Your connection: jitter \d+ ms"))
                expect(shown).to_contain_text(re.compile(r"Phone network: jitter \d+ ms"))
                rating = shown.get_attribute("data-rating")
                # After the call: hold has no call to act on.
                status, text = _post(page, base, f"/api/dial/calls/{call_id}/hold", {"on": True})
                assert status == 404 and "no call of yours" in text
            assert carrier.wait(timeout=60) == 0  # every check of the scenario passed
        log = messages.read_text(errors="replace")
    assert log.count("a=sendonly") >= 1 and "a=recvonly" in log
    db = sqlite3.connect(data / "ringfence.db")
    (row,) = db.execute(
        "select q.rating, q.browser_jitter_ms, q.browser_loss_pct, q.phone_jitter_ms,"
        " q.phone_loss_pct, q.subject_ref = c.subject_ref, q.started_at = c.started_at"
        " from dial_call_quality q join dial_calls c on c.id = q.call_id"
    ).fetchall()
    assert row[0] == rating and row[0] in ("good", "fair", "poor")
    assert row[1] is not None and row[2] is not None  # the browser's figures reached the server
    assert row[3] is not None and row[4] is not None  # and the RTP leg's were measured
    assert row[5] == 1 and row[6] == 1  # the call's subject and start: its retention


def test_the_page_installs_as_an_app_and_fits_a_phone(tmp_path: Path) -> None:
    """On a default install (no carrier: the test phone is one), at 390 px wide."""
    web_port = free_port()
    with smtp_server() as (inbox, mail_port):
        env = {
            "RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{web_port}",
            "RINGFENCE_MAIL__SMTP_HOST": "127.0.0.1",
            "RINGFENCE_MAIL__SMTP_PORT": str(mail_port),
            "RINGFENCE_MAIL__STARTTLS": "false",
        }
        with (
            running_server(tmp_path / "data", port=web_port, **env) as base,
            chromium() as browser,
        ):
            context = browser.new_context(
                viewport={"width": PHONE_WIDTH, "height": 844}, is_mobile=True, has_touch=True
            )
            page = context.new_page()
            page.set_default_timeout(60_000)
            sign_up_and_log_in(page, base, inbox, "phone@example.org")
            page.goto(base + "/dial")
            expect(page.locator("#call")).to_be_enabled()  # the test phone carries calls
            manifest = page.request.get(base + "/dial/manifest.webmanifest")
            assert manifest.headers["content-type"].startswith("application/manifest+json")
            assert manifest.json()["start_url"] == "/dial"
            # The service worker takes the page (its scope is /dial) and keeps the shell.
            scope = page.evaluate(
                "navigator.serviceWorker.ready.then((r) => new URL(r.scope).pathname)"
            )
            assert scope == "/dial"
            cached = page.evaluate(
                "caches.open('ringfence-dial-v1').then((c) => c.keys())"
                ".then((keys) => keys.map((k) => new URL(k.url).pathname))"
            )
            assert "/static/dial/dial.js" in cached and not any(
                p.startswith("/api") for p in cached
            )
            cdp = context.new_cdp_session(page)
            assert cdp.send("Page.getAppManifest")["errors"] == []
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            # Playwright's contexts are incognito ones, where Chromium installs nothing; every
            # other reason would be the page's.
            assert [e for e in errors if e["errorId"] != "in-incognito"] == [], errors
            icon = page.request.get(base + "/static/dial/icons/dial-512.png")
            assert icon.ok and icon.body()[:8] == b"\x89PNG\r\n\x1a\n"
            # Nothing wider than the screen; keys a thumb can hit (Apple and WCAG 2.5.5: 44 px).
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
            for key in page.locator("#pad button").all():
                box = key.bounding_box()
                assert box is not None and box["width"] >= 44 and box["height"] >= 44
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
            context.close()


def test_keys_and_hold_reach_the_test_phone_on_a_default_install(tmp_path: Path) -> None:
    """No carrier, no credit: dial calls the test phone tab, whose own SIP engine receives the
    keys as RFC 4733 events and the re-INVITE as hold; the tab shows both."""
    with agents_site(tmp_path) as (caller, base, _):  # a default server, someone signed in
        browser = caller.context.browser
        assert browser is not None
        phone = new_page(browser)
        number = open_phone(phone, base)
        caller.goto(base + "/dial")
        caller.fill("#number", number)
        expect(caller.locator("#quote")).to_contain_text("0.00 EUR/min")
        caller.click("#call")
        expect(phone.locator("#state")).to_have_attribute("data-state", "ringing")
        phone.click("#answer")
        expect(caller.locator("#state")).to_have_attribute("data-state", "answered")
        for key in "42*":
            caller.click(f"#pad button[data-digit='{key}']")
        expect(phone.locator("#keys")).to_have_text("42*")
        expect(caller.locator("#digits")).to_have_text("42*")
        caller.click("#hold")
        expect(phone.locator("#state")).to_have_attribute("data-state", "held")
        caller.click("#hold")
        expect(phone.locator("#state")).to_have_attribute("data-state", "answered")
        caller.click("#hangup")
        expect(caller.locator("#state")).to_have_attribute("data-state", "ended")
        expect(caller.locator("#call-quality")).to_contain_text("Call quality: ")
        expect(phone.locator("#state")).to_have_attribute("data-state", "ended")
