"""An agent's and a campaign's figures drawn as charts in Chromium, from calls seeded in the
server's own database: the bars of calls per day and of outcomes, the line of evaluation
scores, and a summary in words; the charts' SVG says what each shows to a screen reader."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ringfence.store import Database
from tests.support.analytics import Seeded, seed
from tests.support.browser import agents_site

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def _seeded(data: Path, tenant: str, agent: str) -> Seeded:
    async def run() -> Seeded:
        db = Database(f"sqlite+aiosqlite:///{(data / 'ringfence.db').resolve()}")
        try:
            return await seed(db, tenant, agent, "+442079460777")
        finally:
            await db.dispose()

    # Playwright's sync API runs a loop in this thread: the seeding runs in a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _bars(page: Page, selector: str, attribute: str) -> dict[str, str]:
    found: dict[str, str] = page.eval_on_selector_all(
        selector,
        f"bars => Object.fromEntries(bars.map(b => [b.dataset.{attribute}, b.dataset.count "
        "|| b.dataset.calls]))",
    )
    return found


def test_the_agent_and_campaign_pages_chart_their_figures(tmp_path: Path) -> None:
    with agents_site(tmp_path) as (page, base, _):
        page.goto(base + "/agents")
        page.fill("#business-name", "Harbour Dental")
        page.click("#new-business button[type=submit]")
        page.wait_for_selector("#role")
        page.fill("#agent-name", "Desk")
        page.fill("#agent-greeting", "Hello")
        page.click("#new-agent button[type=submit]")
        page.wait_for_selector("#agent-title")
        tenant, agent = page.url.split("/agents/b/")[1].split("/a/")
        seeded = _seeded(tmp_path / "data", tenant, agent.split("?")[0])
        page.reload()
        page.wait_for_selector("#analytics[data-ready=yes]")
        expect(page.locator("#analytics-summary")).to_have_text(
            "9 calls; handle time 37 s on average; resolved without a transfer: 5 (56 %); "
            "opt-outs: 2."
        )
        days = _bars(page, "#chart-per-day rect", "day")
        assert len(days) == 30
        assert days[dt.datetime.now(dt.UTC).date().isoformat()] == "5"
        outcomes = _bars(page, "#chart-outcomes rect", "outcome")
        assert outcomes == {"answered": "2", "booked": "1", "call_back": "1",
                            "message_taken": "1", "opted_out": "2", "transferred": "1",
                            "unresolved": "1"}  # fmt: skip
        assert page.inner_text("#chart-outcomes").count("Asked to be called back") == 1
        scores = page.eval_on_selector_all(
            "#chart-evaluations circle", "dots => dots.map(d => d.dataset.score)"
        )
        assert scores == ["62", "81.5"]
        label = page.get_attribute("#chart-per-day svg", "aria-label") or ""
        assert label.startswith("Calls per day: 9 in 30 days")

        page.goto(f"{base}/agents/b/{tenant}/campaigns/{seeded.campaign_id}")
        page.wait_for_selector("#analytics[data-ready=yes]")
        expect(page.locator("#analytics-summary")).to_contain_text("5 calls")
        assert _bars(page, "#chart-outcomes rect", "outcome") == {
            "answered": "1", "busy": "1", "call_back": "1", "no_answer": "1", "opted_out": "1"
        }  # fmt: skip
