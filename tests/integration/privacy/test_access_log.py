"""The access log of a real ``ringfence serve``: its own file under the data directory, the
client's address cut to its network, and swept by the retention of its inventory category."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import REPO, running_server

pytestmark = pytest.mark.integration


def _access_lines(path: Path) -> list[str]:
    return [json.loads(line)["event"] for line in path.read_text().splitlines()]


async def test_the_access_log_names_the_network_never_the_address(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            policy = await client.get("/privacy", params={"token": "s3cr3t-link"})
            assert policy.status_code == 200
            assert (await client.get("/numbers")).status_code == 200
    log = data / "logs" / "access.log"
    lines = _access_lines(log)
    assert any('"GET /privacy HTTP/1.1" 200' in line for line in lines), lines
    # 127.0.0.1:<port> became its /24: no address, no port, no query.
    assert all(line.startswith('127.0.0.0 - "') for line in lines), lines
    text = log.read_text()
    assert "127.0.0.1" not in text and "s3cr3t-link" not in text
    assert log.stat().st_mode & 0o777 == 0o600


def test_an_expired_rotated_access_log_is_swept(tmp_path: Path) -> None:
    """Rotation removes old files only while the server runs; the sweeper removes the rest,
    by the category's retention (RINGFENCE_LOG__KEEP_DAYS)."""
    data = tmp_path / "data"
    logs = data / "logs"
    logs.mkdir(parents=True)
    old = logs / "access.log.2026-01-01"
    recent = logs / "access.log.2026-12-01"
    for path, age_days in ((old, 10), (recent, 1)):
        path.write_text('{"event": "127.0.0.0 - \\"GET / HTTP/1.1\\" 200"}\n')
        stamp = time.time() - age_days * 86400
        os.utime(path, (stamp, stamp))
    env = {**os.environ, "RINGFENCE_DATA_DIR": str(data), "RINGFENCE_LOG__KEEP_DAYS": "7"}
    cli = [sys.executable, "-m", "ringfence"]
    for args in (["migrate"], ["purge"]):
        done = subprocess.run([*cli, *args], env=env, capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "access_log" in done.stdout
    assert not old.exists() and recent.exists()
