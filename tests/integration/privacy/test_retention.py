"""The retention sweeper on SQLite and PostgreSQL: expired rows go, live rows stay, files too,
two sweepers at once do no double work, and a retention changed in settings changes both the
sweep and the policy page."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from ringfence.privacy.categories import build_inventory
from ringfence.privacy.inventory import Anonymise, Category, Inventory, LegalBasis, Retention
from ringfence.privacy.models import AuditEntry, ConsentRecord
from ringfence.privacy.retention import Sweeper
from ringfence.store import Database
from ringfence.store.models import JobFailure
from ringfence.tenants.models import INVITATION, MemberInvitation
from ringfence.tenants.scoping import tenant_session
from ringfence.testing import FakeClock
from ringfence.web.app import create_app
from tests.conftest import ENGINES, SettingsFactory
from tests.support.web import client_for

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


async def _seed_consents(db: Database, *, expired: int, live: int) -> None:
    async with db.session() as session:
        for i in range(expired + live):
            age = dt.timedelta(days=400 if i < expired else 10)
            session.add(
                ConsentRecord(
                    subject_ref=f"anon:{'x' * 22}{i}",
                    purpose="preferences",
                    granted=True,
                    method="banner",
                    service="platform",
                    policy_version="v",
                    at=NOW - age,
                )
            )


async def _count(db: Database, model: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _sweeper(db: Database, tmp_path: Path, inventory: Inventory | None = None) -> Sweeper:
    return Sweeper(db, inventory or build_inventory(), FakeClock(NOW), data_dir=tmp_path, batch=100)


@ENGINES
async def test_expired_rows_are_deleted_in_batches_and_audited(
    db: Database, tmp_path: Path
) -> None:
    await _seed_consents(db, expired=250, live=40)
    dry = await _sweeper(db, tmp_path).sweep(dry_run=True)
    assert dry.counts["consent_record"] == 250
    assert await _count(db, ConsentRecord) == 290

    report = await _sweeper(db, tmp_path).sweep()
    assert report.counts["consent_record"] == 250
    assert await _count(db, ConsentRecord) == 40
    async with db.session() as session:
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.category == "consent_record"))
        ).all()
    assert len(entries) == 1
    assert entries[0].detail["rows"] == 250 and entries[0].actor_id == "retention-sweeper"
    again = await _sweeper(db, tmp_path).sweep()  # idempotent
    assert again.counts["consent_record"] == 0


@ENGINES
async def test_two_sweepers_at_once_remove_each_row_once(database_url: str, tmp_path: Path) -> None:
    first, second = Database(database_url), Database(database_url)
    try:
        await _seed_consents(first, expired=1200, live=300)
        a, b = await asyncio.gather(
            _sweeper(first, tmp_path).sweep(), _sweeper(second, tmp_path).sweep()
        )
        assert a.counts["consent_record"] + b.counts["consent_record"] == 1200
        assert await _count(first, ConsentRecord) == 300
    finally:
        await first.dispose()
        await second.dispose()


@ENGINES
async def test_anonymise_clears_fields_and_keeps_the_row(db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        for days in (100, 5):
            session.add(
                JobFailure(
                    job_name="j",
                    task_id="t",
                    args=[],
                    attempts=1,
                    error_type="E",
                    error_message="m",
                    failed_at=NOW - dt.timedelta(days=days),
                    retried_at=NOW - dt.timedelta(days=days),
                )
            )
    base = build_inventory()
    anonymising = Inventory(
        [replace(base["job_payload"], at_expiry=Anonymise(fields=("retried_at",)))]
    )
    report = await _sweeper(db, tmp_path, anonymising).sweep()
    assert report.counts == {"job_payload": 1}
    async with db.session() as session:
        rows = (await session.scalars(select(JobFailure).order_by(JobFailure.failed_at))).all()
    assert [r.retried_at is None for r in rows] == [True, False]
    assert (await _sweeper(db, tmp_path, anonymising).sweep()).counts == {"job_payload": 0}


async def test_expired_files_are_deleted(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "recordings" / "subject"
    folder.mkdir(parents=True)
    old, new = folder / "old.wav", folder / "new.wav"
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    stamp = (NOW - dt.timedelta(days=91)).timestamp()
    os.utime(old, (stamp, stamp))
    fresh = (NOW - dt.timedelta(days=1)).timestamp()
    os.utime(new, (fresh, fresh))
    files = Category(
        name="test_recording",
        service="agents",
        title="Recordings",
        store="file:recordings",
        fields=("audio",),
        purpose="p",
        legal_basis=LegalBasis.CONSENT,
        retention=Retention.duration(90),
        timestamp="mtime",
    )
    report = await _sweeper(db, tmp_path, Inventory([files])).sweep()
    assert report.counts == {"test_recording": 1}
    assert not old.exists() and new.exists()


@ENGINES
async def test_audit_log_is_append_only(db: Database) -> None:
    async with db.session() as session:
        session.add(AuditEntry(at=NOW, actor_kind="system", actor_id="t", action="a", detail={}))
    with pytest.raises(Exception, match="append-only"):
        async with db.session() as session:
            await session.execute(update(AuditEntry).values(action="forged"))
    async with db.session() as session:
        assert await session.scalar(select(AuditEntry.action)) == "a"
        await session.execute(text("delete from audit_log"))  # expiry stays possible


async def test_a_retention_setting_changes_the_sweep_and_the_page(
    make_settings: SettingsFactory, database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    try:
        await _seed_consents(db, expired=0, live=3)  # 10 days old
        default = await _sweeper(db, tmp_path).sweep()
        assert default.counts["consent_record"] == 0
        shorter = build_inventory().with_retention({"consent_record": 7})
        assert (await _sweeper(db, tmp_path, shorter).sweep()).counts["consent_record"] == 3
    finally:
        await db.dispose()

    pages = {}
    for days in (None, 11):
        retention = {"consent_record": days} if days else {}
        settings = make_settings(database_url=database_url, privacy={"retention": retention})
        async with client_for(create_app(settings, run_workers=False)) as client:
            pages[days] = (await client.get("/privacy")).text
            doc = (await client.get("/privacy.json")).json()
            by_name = {c["name"]: c for c in doc["categories"]}
            assert by_name["consent_record"]["retention_days"] == (days or 395)
    assert "11 days" in pages[11] and "11 days" not in pages[None]


async def test_the_periodic_job_runs_the_sweep(
    make_settings: SettingsFactory, database_url: str
) -> None:
    from ringfence.jobs import JobContext, JobQueue, registry

    settings = make_settings(database_url=database_url)
    queue = JobQueue(settings)
    spec = registry["privacy.retention_sweep"]
    assert spec.schedule is not None and spec.name in queue._specs
    db = Database(database_url)
    try:
        async with db.session() as session:
            session.add(
                ConsentRecord(
                    subject_ref="anon:" + "j" * 22,
                    purpose="preferences",
                    granted=True,
                    method="banner",
                    service="platform",
                    policy_version="v",
                    at=dt.datetime.now(dt.UTC) - dt.timedelta(days=500),
                )
            )
        removed = await spec(JobContext(settings, db, FakeClock(dt.datetime.now(dt.UTC))))
        assert removed == 1
    finally:
        await db.dispose()


@ENGINES
async def test_unanswered_invitations_are_swept_when_they_end(db: Database, tmp_path: Path) -> None:
    async with tenant_session(db, "t" * 32) as session:
        for i, ends in enumerate((NOW - dt.timedelta(seconds=1), NOW + dt.timedelta(days=1))):
            session.add(
                MemberInvitation(
                    email_hash=f"h:{i}",
                    email_masked="a…@example.org",
                    role="viewer",
                    invited_by="account:x",
                    created_at=ends - dt.timedelta(days=7),
                    expires_at=ends,
                )
            )
    report = await _sweeper(db, tmp_path).sweep()
    assert report.counts[INVITATION] == 1
    async with tenant_session(db, "t" * 32) as session:
        left = (await session.scalars(select(MemberInvitation.email_hash))).all()
    assert left == ["h:1"]
