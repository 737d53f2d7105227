"""Opening an account on a default server (no SMTP), in Chromium against `ringfence serve`, as a
newcomer does: the page says the link is with the operator, `ringfence outbox` prints it, an
unconfirmed sign-in offers to send it again, and the link confirms the address."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import PASSWORD, chromium
from tests.support.server import REPO, free_port, running_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]
EMAIL = "newcomer@example.org"


def outbox(data_dir: Path, *args: str) -> str:
    """What `ringfence outbox` prints, run as the operator runs it."""
    env = {**os.environ, "RINGFENCE_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "ringfence", "outbox", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def newest_link(data_dir: Path) -> str:
    found = re.search(r"https?://\S+/account/verify\?token=\S+", outbox(data_dir, "--limit", "1"))
    assert found is not None
    return found.group(0)


def log_in(page: Page, base: str) -> None:
    page.goto(base + "/account/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("#login button[type=submit]")


def test_sign_up_with_the_link_from_the_outbox(tmp_path: Path) -> None:
    data_dir, port, log = tmp_path / "data", free_port(), tmp_path / "serve.log"
    public = {"RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{port}"}
    with running_server(data_dir, port, log, **public) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + "/account/signup")
        expect(page.locator("#outbox-note")).to_contain_text("outbox of the operator")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.check("input[name=adult]")
        page.check("input[name=terms]")
        page.click("#signup button[type=submit]")
        expect(page.locator("#sent")).to_contain_text("outbox of the operator")
        expect(page.locator("#operator")).to_contain_text("ringfence outbox")
        printed = outbox(data_dir, "--to", EMAIL)
        assert f"To: {EMAIL}" in printed and "Subject: Confirm your e-mail address" in printed
        first = newest_link(data_dir)

        log_in(page, base)  # before confirming: told why, and offered the link again
        expect(page.locator("#error")).to_contain_text("confirm your e-mail address first")
        page.click("#resend button[type=submit]")
        expect(page.locator("#sent")).to_contain_text("the link to confirm your address is")
        assert outbox(data_dir).count(f"To: {EMAIL}") == 2
        again = newest_link(data_dir)
        assert again != first

        page.goto(again)
        expect(page.locator("#notice")).to_contain_text("Address confirmed")
        page.fill("#password", PASSWORD)
        page.click("#login button[type=submit]")
        page.wait_for_url("**/account")
        expect(page.locator("main")).to_contain_text(EMAIL)
    # The server said a mail was waiting, twice, and never to whom or with which link.
    logged = log.read_text()
    assert logged.count('"event": "mail_waiting"') == 2
    token = again.split("token=")[1]
    assert EMAIL not in logged and token not in logged and token[:16] not in logged
