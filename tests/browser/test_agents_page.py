"""The agents dashboard in Chromium: a business, an agent with knowledge, trying it in text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import chromium, sign_up_and_log_in
from tests.support.mail import smtp_server
from tests.support.server import free_port, running_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def test_a_business_builds_and_tries_an_agent(tmp_path: Path) -> None:
    web_port = free_port()
    with smtp_server() as (inbox, mail_port):
        env = {
            "RINGFENCE_WEB__PUBLIC_URL": f"http://127.0.0.1:{web_port}",
            "RINGFENCE_MAIL__SMTP_HOST": "127.0.0.1",
            "RINGFENCE_MAIL__SMTP_PORT": str(mail_port),
            "RINGFENCE_MAIL__STARTTLS": "false",
        }
        with running_server(tmp_path / "data", port=web_port, **env) as base, chromium() as browser:
            page = browser.new_page()
            page.goto(base + "/agents")
            page.wait_for_url("**/account/login")
            sign_up_and_log_in(page, base, inbox, "owner@example.org")

            page.goto(base + "/")
            page.click("a[data-service=agents]")
            page.fill("#business-name", "Cutting Edge")
            page.click("#new-business button[type=submit]")
            page.wait_for_selector("#role")
            assert page.inner_text("#role") == "owner"
            page.fill("#member-email", "nobody@example.org")
            page.click("#new-member button[type=submit]")
            assert "ask them to sign up first" in page.inner_text("#error")

            page.fill("#agent-name", "Front desk")
            page.fill("#agent-greeting", "Hello, Cutting Edge, how can I help?")
            page.click("#new-agent button[type=submit]")
            page.wait_for_selector("#agent-title")
            disclosure = page.inner_text("#disclosure")
            assert disclosure == "You are speaking with an automated assistant for Cutting Edge."
            page.fill("#question", "What are your opening hours?")
            page.fill("#answer", "We are open from 9 am to 5 pm, Monday to Friday.")
            page.click("#new-knowledge button[type=submit]")
            page.wait_for_selector("#knowledge dt")

            page.fill("#said", "when do you open on monday")
            page.click("#try button[type=submit]")
            page.wait_for_function("document.getElementById('reply').dataset.kind")
            assert page.get_attribute("#reply", "data-kind") == "answer"
            assert "9 am to 5 pm" in page.inner_text("#reply")
            page.fill("#said", "can I talk to a real person")
            page.click("#try button[type=submit]")
            page.wait_for_function("document.getElementById('reply').dataset.kind === 'transfer'")
