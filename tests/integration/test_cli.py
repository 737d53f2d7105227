"""The command line, run as a user runs it: a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ringfence.store import head_revision

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def ringfence(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RINGFENCE_")}
    return subprocess.run(
        [sys.executable, "-m", "ringfence", *args],
        env={**clean, "RINGFENCE_DATA_DIR": str(data_dir), "COLUMNS": "200", **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = ringfence("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for command in ("serve", "worker", "migrate", "version", "jobs"):
        assert command in result.stdout
    for command in ("serve", "worker", "migrate", "version", "jobs", "jobs failed", "jobs retry"):
        sub = ringfence(*command.split(), "--help", data_dir=tmp_path)
        assert sub.returncode == 0, command
        assert "Usage" in sub.stdout


def test_a_bad_setting_fails_in_one_line(tmp_path: Path) -> None:
    result = ringfence("serve", data_dir=tmp_path, RINGFENCE_WEB__PORT="http")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ringfence: invalid setting RINGFENCE_WEB__PORT='http'")


def test_serve_refuses_an_unmigrated_database_then_migrate_fixes_it(tmp_path: Path) -> None:
    refused = ringfence("serve", data_dir=tmp_path)
    assert refused.returncode == 1
    assert "run `ringfence migrate`" in refused.stderr
    migrated = ringfence("migrate", data_dir=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert f"database schema at {head_revision()}" in migrated.stdout
    assert (tmp_path / "ringfence.db").exists()
    down = ringfence("migrate", "--down", "--revision", "base", data_dir=tmp_path)
    assert down.returncode == 0, down.stderr


def test_jobs_failed_and_retry_of_an_unknown_id(tmp_path: Path) -> None:
    assert ringfence("migrate", data_dir=tmp_path).returncode == 0
    listed = ringfence("jobs", "failed", data_dir=tmp_path)
    assert listed.returncode == 0 and "job" in listed.stdout
    retry = ringfence("jobs", "retry", "nope", data_dir=tmp_path)
    assert retry.returncode == 1
    assert retry.stderr.strip() == "ringfence: no failed job 'nope'"


def test_version(tmp_path: Path) -> None:
    assert ringfence("version", data_dir=tmp_path).stdout.startswith("ringfence ")
