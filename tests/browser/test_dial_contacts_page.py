"""dial's address book, call history and prices in Chromium against the real server: the price a
minute shows as a number is typed (a refused destination says it is not reachable); a contact is
added, found and called (SIPp answers and echoes); the history names the contact, says when in
words, is searched by name, number and day, and "Call again" places a second call."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import WAIT_MS, chromium, new_page, sign_up_and_log_in
from tests.support.mail import smtp_server
from tests.support.server import free_port, running_server
from tests.support.sipp import free_rtp_range, sipp_process
from tests.support.stripe import SECRET, event, paid, sign

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]
RATES = """prefix,price_per_minute,increment,connection_fee,currency,name
44,60,1/1,10,EUR,United Kingdom
1,6,60/60,0,EUR,North America
"""
NAME = "Zoë Quartermain"


def _call_and_hang_up(page: Page, start: str) -> None:
    """Press ``start`` (a contact's Call, a history row's Call again), wait for SIPp to answer,
    hang up, and wait for the call's end and the history it refreshes."""
    rows = page.locator("#history tbody tr").count()
    page.click(start)
    page.wait_for_selector("#state[data-state=answered]", timeout=WAIT_MS)
    page.click("#hangup")
    page.wait_for_selector("#state[data-state=ended]", timeout=WAIT_MS)
    expect(page.locator("#history tbody tr")).to_have_count(rows + 1)


def _history(page: Page) -> list[str]:
    return page.locator("#history tbody tr").all_inner_texts()


def test_contacts_history_redial_and_prices_in_the_browser(tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text(RATES)
    low, high = free_rtp_range()
    with (
        smtp_server() as (inbox, mail_port),
        sipp_process("uas", extra=["-rtp_echo"], calls=2, timeout="240s") as (carrier, port, log),
    ):
        web_port = free_port()
        env = {
            "RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{web_port}",
            "RINGFENCE_TELEPHONY__ENABLED": "true",
            "RINGFENCE_TELEPHONY__SIP_PORT": str(free_port()),
            "RINGFENCE_TELEPHONY__RTP_PORT_MIN": str(low),
            "RINGFENCE_TELEPHONY__RTP_PORT_MAX": str(high),
            "RINGFENCE_TELEPHONY__CARRIERS": json.dumps(
                [{"name": "sipp", "host": "127.0.0.1", "port": port}]
            ),
            "RINGFENCE_BILLING__RATES_FILE": str(rates),
            "RINGFENCE_BILLING__STRIPE_WEBHOOK_SECRET": SECRET,
            "RINGFENCE_MAIL__SMTP_HOST": "127.0.0.1",
            "RINGFENCE_MAIL__SMTP_PORT": str(mail_port),
            "RINGFENCE_MAIL__STARTTLS": "false",
        }
        data = tmp_path / "data"
        with running_server(data, port=web_port, **env) as base, chromium() as browser:
            page = new_page(browser)
            sign_up_and_log_in(page, base, inbox, "caller@example.org")
            db = sqlite3.connect(data / "ringfence.db")
            account = db.execute("select id from accounts").fetchone()[0]
            payload = event("checkout.session.completed", paid(account, 500))
            credited = httpx.post(
                base + "/api/billing/stripe/webhook",
                content=payload,
                headers={"Stripe-Signature": sign(payload)},
            )
            assert credited.json() == {"result": "credited"}
            page.goto(base + "/dial")

            # The price before any call: as the number is typed, for +44 and +1; a destination
            # without a rate is said to be unreachable.
            page.fill("#number", "+44 20 7946 0958")
            expect(page.locator("#quote")).to_contain_text("United Kingdom")
            assert "0.60 EUR/min" in page.inner_text("#quote")
            page.fill("#number", "+1 212 555 0123")
            expect(page.locator("#quote")).to_contain_text("North America")
            assert "0.06 EUR/min, billed by the started minute" in page.inner_text("#quote")
            page.fill("#number", "+33 1 23 45 67 89")
            expect(page.locator("#quote")).to_have_attribute("data-reachable", "false")
            assert "Not reachable" in page.inner_text("#quote")
            page.fill("#number", "")

            # A contact: an empty name is refused next to the form, nothing is added.
            page.fill("#contact-number", "+44 20 7946 0958")
            page.click("#contact-save")
            expect(page.locator("#contact-error")).to_contain_text("give the contact a name")
            expect(page.locator("#contact-list tbody tr")).to_have_count(0)
            assert page.input_value("#contact-number") == "+44 20 7946 0958"  # kept
            page.fill("#contact-name", NAME)
            page.fill("#contact-note", "lighthouse")
            page.click("#contact-save")
            expect(page.locator("#contact-list tbody tr")).to_have_count(1)
            assert page.input_value("#contact-name") == ""
            page.select_option("#country", "US")
            page.fill("#contact-name", "Bob Ferris")
            page.fill("#contact-number", "212 555 0123")
            page.click("#contact-save")
            expect(page.locator("#contact-list tbody tr")).to_have_count(2)
            assert "+1 212-555-0123" in page.inner_text("#contact-list")
            # Stored as ciphertext: the raw row holds neither the name nor the number.
            raw = repr(db.execute("select * from dial_contacts").fetchall())
            assert "Quartermain" not in raw and "7946" not in raw and "Ferris" not in raw

            # A vCard file adds its contacts; the download gives the book back as a vCard.
            card = tmp_path / "friends.vcf"
            card.write_text("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada Lovelace\r\n"
                            "TEL:+44 20 7946 0001\r\nEND:VCARD\r\n")  # fmt: skip
            page.set_input_files("#contact-file", str(card))
            page.click("#contact-import button[type=submit]")
            expect(page.locator("#contact-imported")).to_have_text("1 contact added.")
            expect(page.locator("#contact-list tbody tr")).to_have_count(3)
            with page.expect_download() as download:
                page.click("a[href='/api/dial/contacts/export?format=vcf']")
            exported = Path(download.value.path()).read_text()
            assert exported.count("BEGIN:VCARD") == 3 and "FN:Ada Lovelace" in exported

            page.fill("#contact-search", "zoe")
            expect(page.locator("#contact-list tbody tr")).to_have_count(1)
            assert NAME in page.inner_text("#contact-list tbody tr")
            page.fill("#contact-search", "nobody")
            expect(page.locator("#contact-list tbody tr")).to_have_count(0)
            expect(page.locator("#contacts-none")).to_contain_text("No contact matches")
            page.fill("#contact-search", "")
            expect(page.locator("#contact-list tbody tr")).to_have_count(3)

            # Edit Bob's note, then call Zoë from her contact row.
            bob = page.locator("#contact-list tbody tr", has_text="Bob Ferris")
            bob.locator("button[data-act=edit]").click()
            expect(page.locator("#contact-save")).to_have_text("Save changes")
            page.fill("#contact-note", "the neighbour")
            page.click("#contact-save")
            expect(page.locator("#contact-list")).to_contain_text("the neighbour")

            zoe = page.locator("#contact-list tbody tr", has_text=NAME).get_attribute("data-id")
            _call_and_hang_up(page, f"#contact-list tr[data-id='{zoe}'] button[data-act=call]")
            (first,) = _history(page)
            assert NAME in first and "+442079460958" in first and "Answered" in first
            assert first.startswith("today ")  # when, in words

            # Search the history by name, by digits and by day (the server renders it).
            page.goto(base + "/dial?q=quartermain")
            assert len(_history(page)) == 1
            page.goto(base + "/dial?q=7946+0958")
            assert len(_history(page)) == 1
            page.fill("#history-q", "nobody")
            page.click("#history-search button[type=submit]")
            page.wait_for_url("**q=nobody**")
            assert _history(page) == [] and page.is_visible("#history-none")
            tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
            page.goto(base + f"/dial?from={tomorrow}")
            assert _history(page) == []
            page.goto(base + f"/dial?to={tomorrow}")
            assert len(_history(page)) == 1

            # Call again from the history: one click places a second call.
            _call_and_hang_up(page, "#history tbody tr:first-child button.redial")
            calls = _history(page)
            assert len(calls) == 2 and all(NAME in row for row in calls)
            found = page.request.get(base + "/api/dial/history?q=zo%C3%AB").json()["calls"]
            assert [c["contact"] for c in found] == [NAME, NAME]
            assert all(c["when"].startswith("today ") for c in found)

            refused = page.request.get(base + "/dial?from=2026-12-02&to=2026-12-01")
            assert refused.status == 422 and "after its last day" in refused.text()
            garbled = page.request.get(base + "/dial?from=yesterday")
            assert garbled.status == 422 and "is not a date" in garbled.text()
        assert carrier.wait(timeout=60) == 0
    assert log.read_text(errors="replace").count("INVITE sip:+442079460958@") >= 2
