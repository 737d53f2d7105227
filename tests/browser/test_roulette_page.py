"""roulette in Chromium: two (and three) pages matched through the real signalling, WebRTC audio
relayed by coturn (or direct), chat and a picture, Next, Report and the ban it brings."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import WAIT_MS, chromium
from tests.support.server import running_server
from tests.support.turn import coturn

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]

TRUST_LOOPBACK = {"RINGFENCE_WEB__TRUSTED_PROXIES": '["127.0.0.1"]'}

AUDIO_BYTES = """async () => {
  for (let i = 0; i < 150; i++) {  // getStats has no event: look every 100 ms, 15 s at most
    const stats = await window.roulette.pc.getStats();
    let bytes = 0;
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "audio") bytes += r.bytesReceived;
    });
    if (bytes > 0) return bytes;
    await new Promise((done) => setTimeout(done, 100));
  }
  return 0;
}"""

CANDIDATE_TYPES = """async () => {
  const stats = await window.roulette.pc.getStats();
  const types = {local: [], remote: [], pairs: []};
  const byId = {};
  stats.forEach((r) => { byId[r.id] = r; });
  stats.forEach((r) => {
    if (r.type === "local-candidate") types.local.push(r.candidateType);
    if (r.type === "remote-candidate") types.remote.push(r.candidateType);
    if (r.type === "candidate-pair" && r.nominated) {
      const local = byId[r.localCandidateId], remote = byId[r.remoteCandidateId];
      types.pairs.push([local.candidateType, remote.candidateType]);
    }
  });
  return types;
}"""


def _open(browser: Browser, base: str, ip: str) -> Page:
    context = browser.new_context(extra_http_headers={"X-Forwarded-For": ip})
    page = context.new_page()
    page.goto(base + "/roulette")
    page.check("#adult")
    return page


def _start(page: Page) -> None:
    page.click("#start")


def _connected(*pages: Page) -> None:
    for page in pages:
        page.wait_for_selector("#state[data-state=connected]", timeout=WAIT_MS)
        assert page.evaluate(AUDIO_BYTES) > 0  # the other page's (fake) microphone is heard


def _picture(tmp_path: Path) -> Path:
    path = tmp_path / "wave.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_strangers_talk_through_the_relay_chat_next_and_report(tmp_path: Path) -> None:
    with coturn() as turn:
        env = {
            **TRUST_LOOPBACK,
            "RINGFENCE_ROULETTE__TURN_URLS": json.dumps([turn.url]),
            "RINGFENCE_ROULETTE__TURN_SECRET": turn.secret,
        }
        with running_server(tmp_path / "data", **env) as base, chromium() as browser:
            first = _open(browser, base, "198.51.100.1")
            second = _open(browser, base, "198.51.100.2")
            assert first.get_attribute("#ip-status", "data-hidden") == "1"
            assert "Your IP address is hidden" in first.inner_text("#ip-status")
            _start(first)
            first.wait_for_selector("#state[data-state=waiting]")
            _start(second)
            _connected(first, second)

            # Relayed: only relay candidates exist, so no pair can use either page's host address.
            types: dict[str, Any] = first.evaluate(CANDIDATE_TYPES)
            assert types["local"] and set(types["local"]) == {"relay"}
            assert set(types["remote"]) == {"relay"}
            assert types["pairs"] and all(pair == ["relay", "relay"] for pair in types["pairs"])

            first.fill("#chat-input", "hello stranger")
            first.click("#send")
            second.wait_for_selector("#messages li.stranger:has-text('hello stranger')")
            second.set_input_files("#image-input", str(_picture(tmp_path)))
            picture = first.locator("#messages li.stranger img")
            expect(picture).to_have_js_property("naturalWidth", 64)

            first.click("#next")  # both look again; they are not matched straight back
            first.wait_for_selector("#state[data-state=waiting]")
            second.wait_for_selector("#state[data-state=waiting]")
            third = _open(browser, base, "198.51.100.3")
            _start(third)
            _connected(first, third)  # the longest waiting: first
            # A report asks why and for a confirmation; nothing is sent before.
            third.click("#report")
            expect(third.locator("#report-form")).to_be_visible()
            third.click("#report-cancel")  # changed their mind: nothing sent, still talking
            expect(third.locator("#report-form")).to_be_hidden()
            assert third.get_attribute("#state", "data-state") == "connected"
            assert first.get_attribute("#state", "data-state") == "connected"
            third.click("#report")
            third.click("#report-send")  # no reason chosen: the browser asks for one
            assert third.get_attribute("#state", "data-state") == "connected"
            third.check("#report-form input[value=harassment]")
            third.click("#report-send")
            third.wait_for_selector("#state[data-state=reported]")
            assert "Report sent" in third.inner_text("#state")
            assert "cannot use roulette for 30 days" in third.inner_text("#state")
            expect(third.locator("#report-form")).to_be_hidden()
            first.wait_for_selector("#state[data-state=banned]")
            assert "cannot use roulette until" in first.inner_text("#state")
            first.reload()  # and a new connection from that address is refused
            first.check("#adult")
            _start(first)
            first.wait_for_selector("#state[data-state=banned]")
            assert second.get_attribute("#state", "data-state") == "waiting"


def test_direct_mode_says_ips_are_visible_and_still_connects(tmp_path: Path) -> None:
    with (
        running_server(tmp_path / "data", **TRUST_LOOPBACK) as base,
        chromium() as browser,
    ):
        first = _open(browser, base, "198.51.100.11")
        second = _open(browser, base, "198.51.100.12")
        assert "Direct mode" in first.inner_text("#ip-status")
        _start(first)
        first.wait_for_selector("#state[data-state=waiting]")
        _start(second)
        _connected(first, second)
        types: dict[str, Any] = first.evaluate(CANDIDATE_TYPES)
        assert "host" in types["local"]  # what the relay exists to hide


@pytest.mark.skipif(
    not os.environ.get("RINGFENCE_TEST_REDIS_URL"), reason="RINGFENCE_TEST_REDIS_URL is not set"
)
def test_two_server_processes_on_redis_match_their_visitors(tmp_path: Path) -> None:
    env = {
        **TRUST_LOOPBACK,
        "RINGFENCE_REDIS_URL": os.environ["RINGFENCE_TEST_REDIS_URL"],
        "RINGFENCE_JOBS__QUEUE_NAME": f"rf-browser-{os.getpid()}",
        "RINGFENCE_SECRET_KEY": "one-key-for-every-process",
    }
    with (
        running_server(tmp_path / "one", **env) as one,
        running_server(tmp_path / "two", **env) as two,
        chromium() as browser,
    ):
        first = _open(browser, one, "198.51.100.21")
        second = _open(browser, two, "198.51.100.22")
        _start(first)
        first.wait_for_selector("#state[data-state=waiting]")
        _start(second)
        _connected(first, second)
        first.fill("#chat-input", "across processes")
        first.click("#send")
        second.wait_for_selector("#messages li.stranger:has-text('across processes')")
