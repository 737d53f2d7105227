"""Chromium from Debian, driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support.mail import MAIL_WAIT_S, Inbox, link_in, smtp_server
from tests.support.server import free_port, running_server

CHROMIUM = Path("/usr/bin/chromium")
# The pages send a CSP without 'unsafe-eval', so tests wait with locator assertions (which
# compile nothing in the page) instead of wait_for_function. Every wait is for an event (a
# selector, a URL, a mail), never a fixed sleep, and generous: the suite must hold on a shared
# 2-core machine with another process keeping a core busy (issue 18, item 8), where a page that
# takes 1 s alone can take 20. Locator assertions wait 5 s by default, pages' actions 30 s; both
# wait WAIT_MS here (``new_page`` sets it on a page), and whatever runs a model MODEL_WAIT_MS.
WAIT_MS = 60_000
MODEL_WAIT_MS = 180_000
expect.set_options(timeout=WAIT_MS)
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


@contextmanager
def chromium_profile(profile: Path) -> Iterator[BrowserContext]:
    """Chromium with a profile on disk: not incognito, as a person's browser is (Chromium
    installs no web app in an incognito profile, and ``chromium()``'s contexts are)."""
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        try:
            yield context
        finally:
            context.close()


def new_page(browser: Browser) -> Page:
    """A page (in a context of its own) whose actions and navigations wait ``WAIT_MS``."""
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    page.set_default_navigation_timeout(WAIT_MS)
    return page


def sign_up_and_log_in(page: Page, base: str, inbox: Inbox, email: str) -> None:
    """Through the account pages: sign up, open the mailed link, log in."""
    page.goto(base + "/account/signup")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.check("input[name=adult]")
    page.check("input[name=terms]")
    page.click("#signup button[type=submit]")
    page.wait_for_selector("#sent")
    page.goto(link_in(inbox.received.get(timeout=MAIL_WAIT_S)))
    page.fill("#password", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_url("**/account")


@contextmanager
def agents_site(
    tmp_path: Path, flags: list[str] | None = None
) -> Iterator[tuple[Page, str, Inbox]]:
    """A server, Chromium, and an owner signed up and logged in on the agents page."""
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
            chromium(flags) as browser,
        ):
            page = new_page(browser)
            page.goto(base + "/agents")
            page.wait_for_url("**/account/login")
            sign_up_and_log_in(page, base, inbox, "owner@example.org")
            yield page, base, inbox
