"""The command line, run as a user runs it: a subprocess."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ringfence.accounts.outbox import Outbox
from ringfence.store import head_revision

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def ringfence(
    *args: str, data_dir: Path, python: tuple[str, ...] = ("-m", "ringfence"), **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RINGFENCE_")}
    return subprocess.run(
        [sys.executable, *python, *args],
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


# `python -m ringfence ARGS`, then the names of every module loaded, on the last line of stderr
# (-X importtime would miss those loaded with importlib.import_module, as services are).
RUN_AND_LIST = """
import runpy, sys
sys.argv[0] = "ringfence"
try:
    runpy.run_module("ringfence", run_name="__main__", alter_sys=True)
finally:
    sys.stderr.write("\\nloaded: " + " ".join(sorted(sys.modules)) + "\\n")
"""


def imported(*args: str, data_dir: Path) -> set[str]:
    """The modules a command loads."""
    result = ringfence(*args, data_dir=data_dir, python=("-c", RUN_AND_LIST))
    assert result.returncode == 0, result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("loaded: ")
    return set(last.removeprefix("loaded: ").split())


@pytest.mark.parametrize("command", [("version",), ("--help",)])
def test_version_and_help_import_no_service(tmp_path: Path, command: tuple[str, ...]) -> None:
    """The command line lists services from their manifests; a service's commands, and what
    they import (libphonenumber's geocoder, the store, the web app), load only when run."""
    modules = imported(*command, data_dir=tmp_path)
    assert "ringfence.cli.main" in modules
    services = {m for m in modules if m.startswith("ringfence.services.")}
    assert all(re.fullmatch(r"ringfence\.services\.\w+(\.manifest)?", m) for m in services)
    for heavy in ("phonenumbers", "sqlalchemy", "fastapi", "ringfence.store", "ringfence.web"):
        assert not {m for m in modules if m == heavy or m.startswith(heavy + ".")}, heavy
    if command == ("version",):
        assert not services and "ringfence.settings" not in modules


def test_a_services_commands_load_when_run(tmp_path: Path) -> None:
    listed = ringfence("--help", data_dir=tmp_path)
    assert "numbers" in listed.stdout and "reserved for fiction" in listed.stdout
    assert "ringfence.services.numbers.cli" in imported("numbers", "--help", data_dir=tmp_path)
    generated = ringfence("numbers", "--count", "2", "--safe", data_dir=tmp_path)
    assert generated.returncode == 0 and len(generated.stdout.splitlines()) == 3  # a header
    off = {"RINGFENCE_SERVICES__DISABLED": '["numbers"]'}
    assert "numbers" not in ringfence("--help", data_dir=tmp_path, **off).stdout
    refused = ringfence("numbers", "--count", "1", data_dir=tmp_path, **off)
    assert refused.returncode == 2 and "No such command 'numbers'" in refused.stderr


@pytest.mark.parametrize("command", [(), ("migrate",), ("numbers",), ("outbox",), ("purge",)])
def test_flags_show_no_type_in_the_help(tmp_path: Path, command: tuple[str, ...]) -> None:
    shown = ringfence(*command, "--help", data_dir=tmp_path)
    assert shown.returncode == 0 and "--help" in shown.stdout
    assert "<bool>" not in shown.stdout


def test_outbox_prints_the_mails_newest_first(tmp_path: Path) -> None:
    empty = ringfence("outbox", data_dir=tmp_path)
    assert empty.returncode == 0 and empty.stdout == ""
    assert empty.stderr.strip() == "the outbox is empty"
    outbox = Outbox(tmp_path)
    at = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    for n, to in enumerate(["ada@example.org", "bob@example.org", "ada@example.org"]):
        body = f"Open this link:\n\nhttp://127.0.0.1:8000/account/verify?token=t{n}\n"
        outbox.put(to, f"mail {n}", body, subject_ref=f"account:{to}",
                   at=at + dt.timedelta(minutes=n))  # fmt: skip
    printed = ringfence("outbox", data_dir=tmp_path).stdout
    assert [line for line in printed.splitlines() if line.startswith("Subject:")] == [
        "Subject: mail 2",
        "Subject: mail 1",
        "Subject: mail 0",
    ]
    assert "2026-06-01 09:02:00 UTC" in printed and "account/verify?token=t2" in printed
    mine = ringfence("outbox", "--to", "bob@example.org", data_dir=tmp_path).stdout
    assert "To: bob@example.org" in mine and "ada@" not in mine
    one = ringfence("outbox", "--limit", "1", data_dir=tmp_path).stdout
    assert one.count("Subject:") == 1 and "token=t2" in one
    bad = ringfence("outbox", "--limit", "0", data_dir=tmp_path)
    assert bad.returncode == 2 and "--limit" in bad.stderr
