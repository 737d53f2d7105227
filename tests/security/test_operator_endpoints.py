"""The operator's endpoints (/metrics, /api/telephony/status) against a real ``ringfence serve``:
without an operator token only the server itself (127.0.0.1) is answered, never another address
(127.0.0.2, which 127.0.0.0/8 would let through) nor a header claiming to be loopback; with a
token, only a request that bears it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.server import REPO, free_port, running_server

pytestmark = pytest.mark.integration
TOKEN = "operator-9f3c2a7e41b8d605"
ENDPOINTS = ("/metrics", "/api/telephony/status")


def _from(source: str, base: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=base, transport=transport, timeout=30)


def _refused(response: httpx.Response) -> str:
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    return str(error["message"])


def test_without_a_token_only_the_server_itself_is_answered(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as base:
        with _from("127.0.0.1", base) as local, _from("127.0.0.2", base) as remote:
            for path in ENDPOINTS:
                assert local.get(path).status_code == 200, path
                assert "answers only on the server itself" in _refused(remote.get(path))
                claimed = remote.get(path, headers={"X-Forwarded-For": "127.0.0.1"})
                _refused(claimed)
                _refused(remote.get(path, headers={"Authorization": "Bearer anything-at-all"}))
            assert "ringfence_http_requests_total" in local.get("/metrics").text


def test_with_a_token_only_a_request_bearing_it_is_answered(tmp_path: Path) -> None:
    port = free_port()
    env = {"RINGFENCE_WEB__OPERATOR_TOKEN": TOKEN}
    with running_server(tmp_path / "data", port=port, **env) as base:
        with _from("127.0.0.1", base) as local, _from("127.0.0.2", base) as remote:
            bearer = {"Authorization": f"Bearer {TOKEN}"}
            for path in ENDPOINTS:
                assert "operator token" in _refused(remote.get(path))
                _refused(remote.get(path, headers={"Authorization": f"Bearer {TOKEN[:-1]}x"}))
                _refused(local.get(path))  # a token, once set, is asked of everyone
                assert remote.get(path, headers=bearer).status_code == 200, path
            status = remote.get("/api/telephony/status", headers=bearer).json()
            assert status["running"] is True  # for the built-in test phone, on loopback
            assert [c["name"] for c in status["carriers"]] == ["test-phone"]
        # The operator's own command sends the token.
        cli_env = {
            **os.environ,
            **env,
            "RINGFENCE_DATA_DIR": str(tmp_path / "data"),
            "RINGFENCE_WEB__PORT": str(port),
        }
        shown = subprocess.run(
            [sys.executable, "-m", "ringfence", "sip", "status"],
            env=cli_env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "the built-in test phone is the carrier" in shown.stdout, shown.stdout + shown.stderr
        assert "SIP engine running on 127.0.0.1:" in shown.stdout
