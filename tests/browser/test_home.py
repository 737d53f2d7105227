"""The home page in a real Chromium against a real `ringfence serve`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import chromium
from tests.support.server import running_server

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]


def test_home_page_renders_in_chromium(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as base, chromium() as browser:
        page = browser.new_page()
        page.goto(base + "/")
        assert page.locator("h1").inner_text() == "ringfence"
        assert page.locator("footer a[href='/docs']").count() == 1
        page.goto(base + "/docs")
        page.wait_for_selector(".swagger-ui .info .title")
        assert "ringfence" in page.locator(".swagger-ui .info .title").inner_text()
        assert page.locator("text=/healthz").count() >= 1
