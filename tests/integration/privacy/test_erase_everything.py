"""Erase everything: a person's data made through the real pages of a served install, erased,
then looked for everywhere it could linger: every table of the database, the raw bytes of every
file under the data directory (SQLite's main file and its write-ahead log included, the job
queue's database, the outbox) and everything the server logged."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ringfence.privacy.core import Privacy
from ringfence.privacy.models import ConsentRecord
from ringfence.store import Database, migrate
from tests.conftest import SettingsFactory
from tests.support.scan import tables_holding
from tests.support.server import running_server

pytestmark = pytest.mark.integration

EMAIL = "erase.me.7f3a@example.org"
PASSWORD = "correct horse battery"


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _post(client: httpx.Client, form_page: str, action: str, **fields: str) -> httpx.Response:
    return client.post(action, data={"csrf": _csrf(client.get(form_page)), **fields})


def _files_holding(root: Path, needle: bytes) -> list[str]:
    """Every file under ``root`` whose raw bytes contain ``needle`` (in any case)."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and needle.lower() in path.read_bytes().lower():
            found.append(str(path.relative_to(root)))
    return found


async def _database_holding(url: str, needle: str) -> list[str]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return await tables_holding(conn, needle)
    finally:
        await db.dispose()


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_deleted_account_leaves_no_trace(tmp_path: Path, empty_database_url: str) -> None:
    """Sign up (the confirmation mail kept in the outbox), confirm, log in, delete the account
    with its password: the address is in no table, no file and no log line afterwards."""
    data = tmp_path / "data"
    log = tmp_path / "serve.log"
    env = (
        {"RINGFENCE_DATABASE_URL": empty_database_url} if "postgresql" in empty_database_url else {}
    )
    with running_server(data, output=log, **env) as base, httpx.Client(base_url=base) as client:
        form = {"email": EMAIL, "password": PASSWORD, "adult": "true", "terms": "true"}
        signed_up = _post(client, "/account/signup", "/account/signup", **form)
        assert signed_up.status_code == 200, signed_up.text
        link = re.search(rb"/account/verify\?token=[\w-]+", b"".join(
            p.read_bytes() for p in (data / "outbox").rglob("*.json")
        ))  # fmt: skip
        assert link is not None
        assert "Address confirmed" in client.get(link.group(0).decode()).text
        logged_in = _post(
            client, "/account/login", "/account/login", email=EMAIL, password=PASSWORD
        )
        assert logged_in.status_code in (200, 303), logged_in.text

        url = empty_database_url if env else f"sqlite+aiosqlite:///{data / 'ringfence.db'}"
        # Encrypted at rest, the address is in no row as text even now; the search can find
        # it, in the outbox's copy of the confirmation mail.
        assert asyncio.run(_database_holding(url, EMAIL)) == []
        assert _files_holding(data, EMAIL.encode())

        deleted = _post(client, "/account", "/account/delete", password=PASSWORD)
        assert "Your account is deleted" in deleted.text

        assert asyncio.run(_database_holding(url, EMAIL)) == []
        # Raw bytes: the SQLite file and its -wal (zeroed by secure_delete, the log truncated
        # by the checkpoint after the erasure), the job queue's database, the outbox.
        assert _files_holding(data, EMAIL.encode()) == []
    assert EMAIL.encode() not in log.read_bytes().lower()


async def test_erased_rows_are_not_in_the_sqlite_files(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    """The raw bytes of SQLite's main file and write-ahead log right after an erasure, with
    another connection of the pool open meanwhile: nothing of the subject's rows is left."""
    path = tmp_path / "raw.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(migrate, url)
    db = Database(url)
    wal = path.with_name(path.name + "-wal")
    marker = "subject-7f3a-marker"
    subject = "anon:erased-subject"  # the audit log keeps the reference, not the data
    privacy = Privacy(make_settings(database_url=url), db)

    def on_disk() -> bytes:
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    try:
        async with db.session() as session:
            for i in range(50):
                session.add(
                    ConsentRecord(
                        subject_ref=subject,
                        purpose=f"purpose-{i}",
                        granted=True,
                        method=f"{marker}-method",
                        service="platform",
                        policy_version="v",
                        at=privacy.clock.now(),
                    )
                )
        assert marker.encode() in on_disk()
        async with db.engine.connect() as other:
            await other.scalar(select(ConsentRecord.id).limit(1))
            await other.commit()
            async with db.session() as session:
                await privacy.rights("v").erase(session, subject)
            assert marker.encode() not in on_disk()
            assert not wal.exists() or wal.stat().st_size == 0
    finally:
        await db.dispose()
