"""dial's app manifest and service worker: installable, scoped to the page, and the worker
keeps static files only (never a page or an API answer, which carry an account's data)."""

from __future__ import annotations

import json
import re

from ringfence.services.dial.pwa import SCOPE, SHELL, web_manifest, worker_script


def test_the_manifest_starts_the_dial_page_standalone_with_large_icons() -> None:
    manifest = web_manifest()
    assert manifest["start_url"] == manifest["scope"] == SCOPE == "/dial"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert all(icon["src"] in SHELL for icon in manifest["icons"])


def test_the_worker_caches_static_files_only() -> None:
    script = worker_script()
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", script).group(1))  # type: ignore[union-attr]
    assert shell == list(SHELL)
    assert all(path.startswith("/static/") for path in shell)
    assert "cache.put" not in script  # nothing is added to the cache after install
