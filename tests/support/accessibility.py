"""Accessibility and layout checks of a page in Chromium: axe-core's rules (WCAG 2.1 A and AA,
and its best practices), no horizontal overflow at phone widths, and screenshots at desktop and
phone width kept as artifacts.

axe-core is the copy inside the ``axe-playwright-python`` wheel (a dev dependency), injected with
``page.evaluate``: the browser runs it outside the page's Content-Security-Policy, which stays the
real one."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

from tests.support.server import REPO

# Where the screenshots go: RINGFENCE_SCREENSHOTS, or var/screenshots/ in the checkout.
SCREENSHOTS = Path(os.environ.get("RINGFENCE_SCREENSHOTS", REPO / "var" / "screenshots"))
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NARROWEST = 360
BLOCKING = ("serious", "critical")
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

RUN_AXE = """async ([tags, only]) => {
  const runOnly = only ? {type: "rule", values: only} : {type: "tag", values: tags};
  const options = {runOnly};
  options.resultTypes = ["violations"];
  const found = await axe.run(document, options);
  return found.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + ": " + n.failureSummary),
  }));
}"""
OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 1)
    .slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : ""));
  return {scroll: document.scrollingElement.scrollWidth, width, wide};
}"""


@dataclass
class Findings:
    """What the pages visited so far got wrong, said per page."""

    problems: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)

    def check(self, page: Page, name: str) -> None:
        """Run every check on the page the browser shows now (at desktop width on entry)."""
        page.set_viewport_size(DESKTOP)
        self._axe(page, name, "light")
        page.emulate_media(color_scheme="dark")
        self._axe(page, name, "dark", only=["color-contrast"])
        page.emulate_media(color_scheme="light")
        self._shoot(page, name, "desktop")
        for width in (PHONE["width"], NARROWEST):
            page.set_viewport_size({"width": width, "height": PHONE["height"]})
            seen = page.evaluate(OVERFLOW)
            if seen["scroll"] > seen["width"]:
                self.problems.append(
                    f"{name}: {seen['scroll']} px wide at {width} px (too wide: {seen['wide']})"
                )
            if width == PHONE["width"]:
                self._shoot(page, name, "phone")
        page.set_viewport_size(DESKTOP)

    def _axe(self, page: Page, name: str, scheme: str, only: list[str] | None = None) -> None:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE_SCRIPT)
        for v in page.evaluate(RUN_AXE, [RULES, only]):
            if v["impact"] in BLOCKING:
                where = "; ".join(v["nodes"])
                self.problems.append(
                    f"{name} ({scheme}): {v['impact']} {v['id']}: {v['help']}: {where}"
                )

    def _shoot(self, page: Page, name: str, width: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
