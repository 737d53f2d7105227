"""roulette in Chromium: two (and three) pages matched through the real signalling, WebRTC audio
relayed by the server's own coturn (or direct), chat and a picture, interests and the waiting
time, Next, Report, the ban it brings (until when and why) and the way to appeal it."""

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

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("browser")]

TRUST_LOOPBACK = {"RINGFENCE_WEB__TRUSTED_PROXIES": '["127.0.0.1"]'}
MANAGED_RELAY = {"RINGFENCE_ROULETTE__MANAGED_TURN": "true"}  # the default, off in tests

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
    if (r.type === "transport" && r.selectedCandidatePairId) {
      const pair = byId[r.selectedCandidatePairId];
      const local = byId[pair.localCandidateId], remote = byId[pair.remoteCandidateId];
      types.selected = [local.candidateType, remote.candidateType, local.url || ""];
    }
  });
  return types;
}"""


def _signals(page: Page) -> list[dict[str, Any]]:
    """Every ``signal`` event the server relays to ``page``, as its websocket receives it."""
    seen: list[dict[str, Any]] = []

    def frames(ws: Any) -> None:
        def received(payload: str | bytes) -> None:
            if isinstance(payload, str) and payload.startswith('42["signal",'):
                seen.append(json.loads(payload[2:])[1])

        ws.on("framereceived", received)

    page.on("websocket", frames)
    return seen


def _only_relay(signals: list[dict[str, Any]]) -> None:
    """What reached a page names no address but the relay's: relay candidates only, and an SDP
    whose candidates (if any) are relay ones."""
    candidates = [s["candidate"]["candidate"] for s in signals if s["type"] == "candidate"]
    sdps = [s["sdp"] for s in signals if s["type"] in ("offer", "answer")]
    assert sdps and candidates
    for line in candidates + [
        line for sdp in sdps for line in sdp.splitlines() if line.startswith("a=candidate")
    ]:
        if line:  # the end-of-candidates marker is empty
            assert " typ relay " in line + " ", line
            assert "typ host" not in line and "typ srflx" not in line


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
    # No TURN configured: the server runs its own coturn (installed here, as `make run` does).
    env = {**TRUST_LOOPBACK, **MANAGED_RELAY, "RINGFENCE_ROULETTE__INTERESTS_WAIT": "2"}
    with running_server(tmp_path / "data", **env) as base, chromium() as browser:
        first = _open(browser, base, "198.51.100.1")
        second = _open(browser, base, "198.51.100.2")
        to_first, to_second = _signals(first), _signals(second)
        assert first.get_attribute("#ip-status", "data-hidden") == "1"
        assert "Your IP address is hidden" in first.inner_text("#ip-status")
        first.fill("#interests", "chess")  # nobody shares it: anyone after 2 s
        _start(first)
        first.wait_for_selector("#state[data-state=waiting]")
        expect(first.locator("#waited")).to_be_visible()
        expect(first.locator("#waited-time")).to_have_text("0:02", timeout=WAIT_MS)
        expect(first.locator("#shared")).to_contain_text("anyone will do now")
        _start(second)
        _connected(first, second)

        # Relayed: only relay candidates exist, so no pair can use either page's host address.
        types: dict[str, Any] = first.evaluate(CANDIDATE_TYPES)
        assert types["local"] and set(types["local"]) == {"relay"}
        assert set(types["remote"]) == {"relay"}
        assert types["pairs"] and all(pair == ["relay", "relay"] for pair in types["pairs"])
        assert types["selected"][:2] == ["relay", "relay"]
        assert types["selected"][2].startswith("turn:127.0.0.1:")  # the managed relay
        # And what the signalling carried to each page named only relay candidates.
        _only_relay(to_first)
        _only_relay(to_second)

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
        third.fill("#interests", "chess")  # shared with first only: matched with first
        _start(third)
        _connected(first, third)
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
        assert "Harassment, threats or hate" in first.inner_text("#state")  # and why
        first.reload()  # the page says so at once, and a new connection is refused
        expect(first.locator("#banned-notice")).to_contain_text("Harassment")
        first.check("#adult")
        _start(first)
        first.wait_for_selector("#state[data-state=banned]")
        assert second.get_attribute("#state", "data-state") == "waiting"
        first.click("#appeal-link")  # the way to appeal
        first.fill("#text", "I was talking about chess, nothing else. Please lift it.")
        first.click("#appeal-form button[type=submit]")
        expect(first.locator("#sent")).to_be_visible()
        expect(first.locator("#appeal-status")).to_have_attribute("data-decision", "waiting")


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
