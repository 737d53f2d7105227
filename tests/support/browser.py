"""Chromium from Debian, driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.mail import Inbox, link_in

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "a long enough password"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-loopback-in-peer-connection",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@contextmanager
def chromium(extra_flags: list[str] | None = None) -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS + (extra_flags or [])
        )
        try:
            yield browser
        finally:
            browser.close()


def sign_up_and_log_in(page: Page, base: str, inbox: Inbox, email: str) -> None:
    """Through the account pages: sign up, open the mailed link, log in."""
    page.goto(base + "/account/signup")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.check("input[name=adult]")
    page.check("input[name=terms]")
    page.click("#signup button[type=submit]")
    page.wait_for_selector("#sent")
    page.goto(link_in(inbox.received.get(timeout=15)))
    page.fill("#password", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_url("**/account")
