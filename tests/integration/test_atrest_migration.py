"""Migration 0027 encrypts what older versions stored in plain text (accounts' addresses,
evaluation reports and transcripts), on SQLite and PostgreSQL, and the downgrade brings the text
back; a database holding such rows is not converted without the installation's keys."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from ringfence.accounts.addresses import Addresses
from ringfence.accounts.models import Account
from ringfence.accounts.service import Accounts
from ringfence.privacy.core import Privacy
from ringfence.settings import Settings
from ringfence.store import Database, migrate
from ringfence.store.base import UTCDateTime
from ringfence.store.schema import downgrade
from tests.conftest import ENGINES, SettingsFactory

pytestmark = pytest.mark.integration

ADDRESS = "ada@example.org"
TRANSCRIPT = [{"speaker": "business", "start": 0.0, "end": 1.5, "text": "Harbour Dental, Ruth"}]
REPORT = {"score": 90, "signals": [{"id": "greeting", "evidence": "Harbour Dental, Ruth"}]}
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

ACCOUNTS = sa.table(
    "accounts",
    sa.column("id", sa.String),
    sa.column("email", sa.String),
    sa.column("password_hash", sa.String),
    sa.column("created_at", UTCDateTime(timezone=True)),
    sa.column("verified_at", UTCDateTime(timezone=True)),
    sa.column("subject_ref", sa.String),
    sa.column("role", sa.String),
)
EVALUATIONS = sa.table(
    "evaluation_calls",
    sa.column("id", sa.String),
    sa.column("tenant_id", sa.String),
    sa.column("number", sa.String),
    sa.column("business", sa.String),
    sa.column("questions", sa.Text),
    sa.column("state", sa.String),
    sa.column("rubric_version", sa.String),
    sa.column("report", sa.Text),
    sa.column("transcript", sa.Text),
    sa.column("requested_at", UTCDateTime(timezone=True)),
    sa.column("keep_until", UTCDateTime(timezone=True)),
)


async def _old_rows(url: str) -> None:
    """What version 0026 stored: a plain address and a plain report and transcript."""
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                ACCOUNTS.insert().values(
                    id="a" * 32, email=ADDRESS, password_hash="x", created_at=NOW,
                    verified_at=NOW, subject_ref=f"account:{'a' * 32}", role="user",
                )
            )  # fmt: skip
            await conn.execute(
                EVALUATIONS.insert().values(
                    id="e" * 32, tenant_id="t" * 32, number="+12125550100", business="Harbour",
                    questions="[]", state="done", rubric_version="1",
                    report=json.dumps(REPORT), transcript=json.dumps(TRANSCRIPT),
                    requested_at=NOW, keep_until=NOW + dt.timedelta(days=90),
                )
            )  # fmt: skip
    finally:
        await db.dispose()


async def _raw(url: str, query: str) -> list[tuple[object, ...]]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(sa.text(query))).all()]
    finally:
        await db.dispose()


async def _encrypted_as_the_code_reads_it(settings: Settings, url: str) -> None:
    db = Database(url)
    try:
        privacy = Privacy(settings, db)
        addresses = Addresses.of(privacy)
        async with db.session() as session:
            account = await session.scalar(select(Account).where(addresses.holder(ADDRESS)))
            assert account is not None  # found by its keyed hash
            assert await addresses.read(session, account) == ADDRESS
            sealed = (await session.execute(sa.text("SELECT report, transcript, key_ref "
                                                    "FROM evaluation_calls"))).one()  # fmt: skip
            for blob, plain in ((sealed[0], REPORT), (sealed[1], TRANSCRIPT)):
                assert b"Harbour Dental" not in bytes(blob)
                assert (
                    json.loads(await privacy.vault.decrypt(session, sealed[2], bytes(blob)))
                    == plain
                )
        # Signing in finds the converted account by the address typed (any case).
        accounts = Accounts(settings, privacy)
        with pytest.raises(Exception, match="wrong e-mail, password or code"):
            await accounts.log_in("Ada@Example.org", "not the password", None, "192.0.2.1")
    finally:
        await db.dispose()


@ENGINES
def test_old_plain_rows_are_encrypted_and_the_downgrade_restores_them(
    empty_database_url: str, make_settings: SettingsFactory
) -> None:
    url = empty_database_url
    settings = make_settings(database_url=url)
    migrate(url, "0026")
    asyncio.run(_old_rows(url))
    with pytest.raises(RuntimeError, match="ringfence migrate"):  # no keys: nothing converted
        migrate(url)
    assert asyncio.run(_raw(url, "SELECT email FROM accounts")) == [(ADDRESS,)]

    migrate(url, settings=settings)
    ((email, email_hash),) = asyncio.run(_raw(url, "SELECT email, email_hash FROM accounts"))
    assert ADDRESS.encode() not in bytes(email) and ADDRESS not in str(email_hash)
    asyncio.run(_encrypted_as_the_code_reads_it(settings, url))

    downgrade(url, "0026", settings=settings)
    assert asyncio.run(_raw(url, "SELECT email FROM accounts")) == [(ADDRESS,)]
    ((report, transcript),) = asyncio.run(
        _raw(url, "SELECT report, transcript FROM evaluation_calls")
    )
    assert json.loads(str(report)) == REPORT and json.loads(str(transcript)) == TRANSCRIPT
