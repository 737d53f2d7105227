"""dial in Chromium with a fake microphone: sign up (the link read from a local SMTP server),
credit by a signed Stripe webhook, call a number; SIPp answers and echoes the browser's audio;
the page shows the timer; hanging up charges exactly the billed duration."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from ringfence.billing.rates import RateTable
from tests.support.browser import WAIT_MS, chromium, sign_up_and_log_in
from tests.support.mail import MAIL_WAIT_S, Inbox, link_in, smtp_server
from tests.support.server import free_port, running_server
from tests.support.sipp import free_rtp_range, sipp_process
from tests.support.stripe import SECRET, event, paid, sign

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]
# A count of bytes above 2000: 2001-9999, or five digits and more.
MORE_THAN_2000_BYTES = re.compile(r"^(?!2000$)(?:[2-9]\d{3}|[1-9]\d{4,})$")
RATES = "prefix,price_per_minute,increment,connection_fee,currency,name\n44,60,1/1,10,EUR,UK\n"


def _next_mail(inbox: Inbox) -> str:
    return link_in(inbox.received.get(timeout=MAIL_WAIT_S))


def test_sign_up_top_up_and_call_from_the_browser(tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    low, high = free_rtp_range()
    with (
        smtp_server() as (inbox, mail_port),
        sipp_process("uas", extra=["-rtp_echo"], timeout="120s") as (carrier, sipp_port, log),
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
        with running_server(tmp_path / "data", port=web_port, **env) as base, chromium() as browser:
            page = browser.new_page()
            sign_up_and_log_in(page, base, inbox, "caller@example.org")

            account = (
                sqlite3.connect(tmp_path / "data" / "ringfence.db")
                .execute("select id from accounts")
                .fetchone()[0]
            )
            payload = event("checkout.session.completed", paid(account, 500))
            credited = httpx.post(
                base + "/api/billing/stripe/webhook",
                content=payload,
                headers={"Stripe-Signature": sign(payload)},
            )
            assert credited.json() == {"result": "credited"}

            page.goto(base + "/dial?paid=1")  # back from the payment page
            assert "being confirmed" in page.inner_text("#paid")
            assert page.inner_text("#balance") == "5.00"
            # No Stripe key here: no buy buttons that could only fail, but who to ask.
            assert page.is_visible("#no-payments") and page.locator("#wallet form").count() == 0
            # Proving a number to show is there to see, step by step, before any call.
            expect(page.locator("#verify")).to_be_visible()
            assert "Get a code" in page.inner_text("#verify")
            page.fill("#own-number", "+44 20 7946 0000")
            page.click("#own button[type=submit]")
            expect(page.locator("#own-code")).to_be_visible()
            assert re.fullmatch(r"\d{4,8}", page.inner_text("#own-code-digits"))
            assert "+44 20 7946 0000" in page.inner_text("#own-code")
            # The price a minute shows as soon as a country is chosen, before any number.
            assert "not offered" in page.inner_text("#country-price")  # the US: no rate
            page.select_option("#country", "GB")
            expect(page.locator("#country-price")).to_contain_text(
                "Calls to United Kingdom from 0.60 EUR a minute"
            )
            page.fill("#number", "020 7946 0958")
            expect(page.locator("#quote")).to_contain_text("/min")
            assert "0.60 EUR/min, billed by the second" in page.inner_text("#quote")
            page.click("#call")
            page.wait_for_selector("#state[data-state=answered]", timeout=WAIT_MS)
            # The browser's (fake) microphone reaches SIPp, which sends it back: audio arrives.
            expect(page.locator("#quality")).to_have_attribute("data-bytes", MORE_THAN_2000_BYTES)
            expect(page.locator("#timer")).not_to_have_text("0:00")
            page.click("#hangup")
            page.wait_for_selector("#state[data-state=ended]", timeout=WAIT_MS)
            cost = int(page.get_attribute("#state", "data-cost") or "0")
            page.wait_for_selector("#history tbody tr")
            row = page.inner_text("#history tbody tr")
            assert "+442079460958" in row and "Answered" in row
            assert not re.search(r"\d{4}-\d\d-\d\dT", row)  # a date people read
            assert "Call ended: Answered" in page.inner_text("#state")
            page.reload()  # as the server renders it
            row = page.inner_text("#history tbody tr")
            assert "Answered" in row and "answered" not in row
            assert not re.search(r"\d{4}-\d\d-\d\dT", row)
            # With the page's own session cookie, as the page's fetches would send it.
            history = page.request.get(base + "/api/dial/history").json()["calls"]
            balance = page.request.get(base + "/api/billing/balance").json()
        assert carrier.wait(timeout=30) == 0
    (call,) = history
    rate = RateTable.from_csv(RATES).lookup("+442079460958")
    assert cost == call["cost"] == rate.charge(call["duration"]) and cost > 10
    assert balance == {"currency": "EUR", "balance": 500 - cost}
    assert "INVITE sip:+442079460958@" in log.read_text(errors="replace")
