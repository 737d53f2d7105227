"""The breach register from the operator's shell to the console: ``ringfence breach`` refuses
what it cannot record with one line, records and audits what it can, the console lists it with
the authority's deadline, and the sweeper removes it after its declared retention."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ringfence.privacy.categories import build_inventory
from ringfence.privacy.models import AuditEntry, Breach
from ringfence.privacy.retention import Sweeper
from ringfence.settings import Settings
from ringfence.store import Database
from ringfence.testing import FakeClock
from tests.support.admin import make_operator, operator_login
from tests.support.server import REPO, running_server

pytestmark = pytest.mark.integration


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RINGFENCE_DATA_DIR": str(data), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "ringfence", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
    )


def _record(data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _cli(data, "breach", "record", "--what", "A backup disk of call records was lost",
                "--categories", "call_record,account", "--affected", "120", *extra)  # fmt: skip


async def test_a_breach_is_recorded_audited_listed_and_swept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite+aiosqlite:///{data / 'ringfence.db'}"
    assert _cli(data, "migrate").returncode == 0
    found = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    for extra, said in (
        (["--found", "yesterday"], "is not a date like 2026-12-01"),
        (["--found", "2999-01-01"], "cannot be found in the future"),
        (["--found", found, "--categories", "call_record,nope"], "unknown category 'nope'"),
    ):
        refused = _record(data, *extra)
        assert refused.returncode != 0 and said in refused.stderr, refused.stderr
    made = _record(data, "--found", found)
    assert made.returncode == 0, made.stderr
    assert "tell the supervisory authority by" in made.stdout
    breach_id = made.stdout.split("recorded breach ", 1)[1].split()[0]
    told = _cli(data, "breach", "notified", breach_id, "--authority", found)
    assert told.returncode == 0, told.stderr
    listed = _cli(data, "breach", "list")
    assert breach_id in listed.stdout and "account, call_record" in listed.stdout
    db = Database(url)
    try:
        async with db.session() as session:
            actions = (await session.scalars(select(AuditEntry.action))).all()
            assert {"breach.recorded", "breach.notified"} <= set(actions)
            assert len((await session.scalars(select(Breach))).all()) == 1  # refusals kept none
        await make_operator(Settings(data_dir=data))
        with running_server(data) as base:
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                await operator_login(client)
                page = await client.get("/admin/breaches")
        assert page.status_code == 200 and f'id="breach-{breach_id}"' in page.text
        assert "A backup disk of call records was lost" in page.text and "Call records" in page.text
        # Kept five years (breach_record), then swept like any category.
        clock = FakeClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=5 * 365 + 2))
        report = await Sweeper(db, build_inventory(), clock, data_dir=data).sweep()
        assert report.counts["breach_record"] == 1
        async with db.session() as session:
            assert (await session.scalars(select(Breach))).all() == []
    finally:
        await db.dispose()
