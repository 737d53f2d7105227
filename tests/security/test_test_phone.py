"""The test phone's boundaries, against a real default ``ringfence serve``: its line opens only
from a page of the site itself and with the browser's id, lines are limited per address, one
browser's tab can neither answer nor end another's call, the tab calls only the server's own
numbers, and the two SIP engines take INVITEs only from each other's own port."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.support.captcha import solve
from tests.support.server import running_server

pytestmark = pytest.mark.integration
WAIT = 60  # seconds for a message on a loaded machine


def _browser(base: str) -> str:
    """A new browser: the anonymous id /phone gives it."""
    response = httpx.get(base + "/phone")
    assert response.status_code == 200
    return str(response.cookies["rf_anon"])


@contextmanager
def _line(base: str, anon: str | None, origin: str | None = None) -> Iterator[ClientConnection]:
    url = base.replace("http://", "ws://") + "/api/phone/line"
    headers = {"Origin": origin or base}
    if anon is not None:
        headers["Cookie"] = f"rf_anon={anon}"
    with connect(url, additional_headers=headers, open_timeout=WAIT) as ws:
        yield ws


def _next(ws: ClientConnection, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=WAIT))
        if message["type"] == kind:
            return message


def _refused_handshake(base: str, anon: str | None, origin: str | None = None) -> int:
    with pytest.raises(InvalidStatus) as refused, _line(base, anon, origin):
        pass
    return int(refused.value.response.status_code)


def _sip_status(base: str, port: int, source_port: int) -> str:
    """What the SIP engine on ``port`` answers an INVITE from another local program."""
    call_id = uuid.uuid4().hex
    invite = (
        f"INVITE sip:+441134960123@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{source_port};branch=z9hG4bK{call_id[:12]}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:+442079460123@127.0.0.1>;tag={call_id[:8]}\r\n"
        "To: <sip:+441134960123@127.0.0.1>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\n"
        f"Contact: <sip:x@127.0.0.1:{source_port}>\r\nContent-Length: 0\r\n\r\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", source_port))
        sock.settimeout(WAIT)
        sock.sendto(invite.encode(), ("127.0.0.1", port))
        return sock.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def test_a_line_opens_only_from_this_site_and_with_the_browsers_id(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as base:
        anon = _browser(base)
        assert _refused_handshake(base, anon, origin="http://evil.example") == 403
        assert _refused_handshake(base, anon, origin="null") == 403
        assert _refused_handshake(base, None) == 403  # no anonymous id: /phone was not opened
        assert _refused_handshake(base, "forged-id") == 403
        with _line(base, anon) as ws:
            assert _next(ws, "line")["number"].startswith("+441134960")


def test_lines_are_limited_per_address(tmp_path: Path) -> None:
    env = {"RINGFENCE_TELEPHONY__TEST_PHONE__LINES_PER_IP": "2"}
    with running_server(tmp_path / "data", **env) as base:
        with _line(base, _browser(base)) as one, _line(base, _browser(base)) as two:
            assert _next(one, "line")["number"] != _next(two, "line")["number"]
            with _line(base, _browser(base)) as three:
                refusal = _next(three, "error")
        assert "2 test phones are open from your network" in refusal["message"]


def test_one_browser_cannot_touch_anothers_call_and_the_tab_calls_only_this_server(
    tmp_path: Path,
) -> None:
    with running_server(tmp_path / "data", RINGFENCE_CAPTCHA__MAX_NUMBER="1000") as base:
        with _line(base, _browser(base)) as mine, _line(base, _browser(base)) as theirs:
            number = _next(mine, "line")["number"]
            _next(theirs, "line")
            with httpx.Client(base_url=base, timeout=WAIT) as ringer:
                captcha = solve(ringer.get("/api/captcha").json())
                rung = ringer.post("/api/ring", json={"number": number, "captcha": captcha})
            assert rung.status_code in (200, 201, 202), rung.text
            call = _next(mine, "incoming")["call"]

            theirs.send(json.dumps({"type": "hangup", "call": call}))
            assert "no call of this test phone" in _next(theirs, "error")["message"]
            theirs.send(json.dumps({"type": "answer", "call": call, "sdp": "v=0\r\nm=audio"}))
            assert "no call of this test phone" in _next(theirs, "error")["message"]
            mine.send(json.dumps({"type": "hangup", "call": call}))  # still mine to decline
            assert _next(mine, "state") == {"type": "state", "call": call, **ENDED}

            for elsewhere in ("+442079460123", "+12025550123"):  # numbers nobody here answers
                mine.send(json.dumps({"type": "dial", "number": elsewhere, "sdp": "v=0"}))
                refusal = _next(mine, "error")
                assert "calls this server's own numbers only" in refusal["message"]


ENDED = {"state": "ended", "reason": "rejected", "by": "local"}


def test_each_sip_engine_takes_invites_only_from_the_other(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as base:
        status = httpx.get(base + "/api/telephony/status").json()
        platform = int(status["sip"].rsplit(":", 1)[1])
        (test_phone,) = [c for c in status["carriers"] if c["builtin"]]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as spare:
            spare.bind(("127.0.0.1", 0))
            source = spare.getsockname()[1]
        assert _sip_status(base, test_phone["port"], source) == "SIP/2.0 403 Forbidden"
        assert _sip_status(base, platform, source) == "SIP/2.0 403 Forbidden"
