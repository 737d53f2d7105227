"""A business connects its systems in Chromium: a signing secret and an API key, each shown
once; the key used by a system and revoked on the page; a webhook refused then added; a tool
refused for a bad schema then declared; knowledge changed, imported (a broken file's lines
named) and exported."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.browser import agents_site

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def test_a_business_connects_its_systems(tmp_path: Path) -> None:
    with agents_site(tmp_path) as (page, base, _):
        page.goto(base + "/agents")
        page.fill("#business-name", "Harbour Dental")
        page.click("#new-business button[type=submit]")
        page.wait_for_selector("#role")
        tenant = page.url.rstrip("/").rsplit("/", 1)[-1]
        page.fill("#agent-name", "Front desk")
        page.fill("#agent-greeting", "Hello, Harbour Dental.")
        page.click("#new-agent button[type=submit]")
        page.wait_for_selector("#agent-title")
        agent_url = page.url
        agent = agent_url.rstrip("/").rsplit("/", 1)[-1]

        page.goto(f"{base}/agents/b/{tenant}")
        page.click("#connections-link")
        expect(page.locator("#secret-state")).to_contain_text("No signing secret yet")
        page.click("#make-secret button[type=submit]")
        secret = page.inner_text("#secret-value")
        assert secret.startswith("rfs_")
        page.goto(f"{base}/agents/b/{tenant}/connections")
        assert secret not in page.content()  # shown that once
        expect(page.locator("#secret-state")).to_contain_text("has a signing secret")

        page.fill("#key-name", "booking system")
        page.check("input[name=scope][value='agents:read']")
        page.click("#new-key-form button[type=submit]")
        key = page.inner_text("#key-value")
        assert key.startswith("rfk_")
        bearer = {"Authorization": f"Bearer {key}"}
        listed = httpx.get(f"{base}/api/tenants/{tenant}/agents", headers=bearer)
        assert listed.status_code == 200 and listed.json()["agents"][0]["id"] == agent
        page.goto(f"{base}/agents/b/{tenant}/connections")
        assert key not in page.content()
        expect(page.locator("#keys")).to_contain_text(key[:10])
        page.click(".revoke-key button")
        expect(page.locator("#keys")).to_contain_text("revoked")
        refused = httpx.get(f"{base}/api/tenants/{tenant}/agents", headers=bearer)
        assert refused.status_code == 401

        page.fill("#webhook-url", "http://crm.example.org/calls")
        page.click("#new-webhook button[type=submit]")
        expect(page.locator("#error")).to_contain_text("must be https")
        expect(page.locator("#webhook-url")).to_have_value("http://crm.example.org/calls")
        page.fill("#webhook-url", "https://crm.example.org/calls")
        page.check("#webhook-transcript")
        page.click("#new-webhook button[type=submit]")
        expect(page.locator("#webhooks")).to_contain_text("https://crm.example.org/calls")
        expect(page.locator("#webhooks")).to_contain_text("with transcripts")

        page.goto(agent_url)
        page.fill("#tool-name", "check_slot")
        page.fill("#tool-description", "Whether a day has a free slot")
        page.fill("#tool-url", "https://booking.example.org/slots")
        page.fill("#tool-parameters", '{"type": "object", "properties": {"day": {"type": 5}}}')
        page.click("#new-tool button[type=submit]")
        expect(page.locator("#error")).to_contain_text("not a valid JSON Schema")
        page.fill("#tool-name", "check_slot")
        page.fill("#tool-description", "Whether a day has a free slot")
        page.fill("#tool-url", "https://booking.example.org/slots")
        page.fill(
            "#tool-parameters", '{"type": "object", "properties": {"day": {"type": "string"}}}'
        )
        page.click("#new-tool button[type=submit]")
        expect(page.locator("#tool-list")).to_contain_text("check_slot")
        expect(page.locator("#deliveries")).to_contain_text("Nothing sent yet")

        page.fill("#question", "Do you take cards?")
        page.fill("#answer", "Yes.")
        page.click("#new-knowledge button[type=submit]")
        page.click(".edit-entry summary")
        page.fill(".change-entry textarea", "Yes, every card.")
        page.click(".change-entry button[type=submit]:not([name])")
        expect(page.locator("#knowledge dd").first).to_contain_text("Yes, every card.")

        broken = tmp_path / "broken.csv"
        broken.write_text("question,answer\nParking?,\n")
        page.set_input_files("#knowledge-file", str(broken))
        page.click("#knowledge-import button[type=submit]")
        expect(page.locator("#error")).to_contain_text("line 2: the answer is empty")
        good = tmp_path / "good.csv"
        good.write_text("question,answer\nParking?,Behind the shop.\n")
        page.set_input_files("#knowledge-file", str(good))
        page.click("#knowledge-import button[type=submit]")
        expect(page.locator("#knowledge")).to_contain_text("Behind the shop.")
        with page.expect_download() as download:
            page.click("#knowledge-export")
        exported = Path(download.value.path()).read_text()
        assert exported.splitlines() == [
            "question,answer",
            'Do you take cards?,"Yes, every card."',
            "Parking?,Behind the shop.",
        ]
