"""Rights requests: a subject seeded across every category and file store is exported whole and
erased completely, but for legal holds that the receipt names; receipts verify; deadlines hold."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ringfence.errors import InvalidInput
from ringfence.privacy.categories import build_inventory
from ringfence.privacy.consent import Consents
from ringfence.privacy.crypto import MasterKeys, Vault
from ringfence.privacy.inventory import Category, Inventory, LegalBasis, Retention, SubjectKind
from ringfence.privacy.models import (
    AuditEntry,
    ConsentRecord,
    DataKey,
    ProcessingRestriction,
    RightsRequest,
)
from ringfence.privacy.receipts import ReceiptSigner, verify_receipt
from ringfence.privacy.rights import Rights, add_business_days
from ringfence.store import Database
from ringfence.store.base import Base
from ringfence.testing import FakeClock
from tests.conftest import ENGINES

pytestmark = pytest.mark.integration
SUBJECT = "anon:" + "s" * 24
OTHER = "anon:" + "o" * 24
RECORDINGS = Category(
    name="test_recording",
    service="agents",
    title="Call recordings",
    store="file:recordings",
    fields=("audio",),
    purpose="p",
    legal_basis=LegalBasis.CONSENT,
    retention=Retention.duration(90),
    timestamp="mtime",
    encrypted=True,
    subject=SubjectKind.ANON,
)


@pytest.fixture
def rights(tmp_path: Path) -> Rights:
    inventory = Inventory([*build_inventory(), RECORDINGS])
    clock = FakeClock(dt.datetime(2026, 3, 6, 9, 0, tzinfo=dt.UTC))  # a Friday
    vault = Vault(MasterKeys.load(tmp_path / "master.key", None), clock, tmp_path / "master.key")
    signer = ReceiptSigner.from_file(tmp_path / "receipt.pem")
    return Rights(
        inventory,
        vault,
        signer,
        clock,
        data_dir=tmp_path,
        jurisdiction="gdpr",
        policy_version="v1",
        key=b"test-signing-key",
    )


async def _seed(rights: Rights, db: Database, subject: str) -> Path:
    async with db.session() as session:
        await Consents(rights.clock).record(
            session,
            subject,
            {"preferences": True, "sale_sharing": False},
            method="banner",
            service="numbers",
            policy_version="v1",
        )
        session.add(
            ProcessingRestriction(subject_ref=subject, kind="object", since=rights.clock.now())
        )
        rights.audit.record(
            session, actor_kind="subject", actor_id=subject, action="seen", subject_ref=subject
        )
        blob = await rights.vault.encrypt(session, subject, b"RIFF fake audio")
    folder = rights.subject_folder("test_recording", subject)
    folder.mkdir(parents=True)
    (folder / "call.wav.enc").write_bytes(blob)
    return folder


async def _rows_about(db: Database, subject: str) -> dict[str, int]:
    found = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if column.name == "subject_ref":
                    rows = (await session.execute(select(table).where(column == subject))).all()
                    if rows:
                        found[table.name] = len(rows)
    return found


@ENGINES
async def test_access_exports_everything_including_decrypted_files(
    rights: Rights, db: Database
) -> None:
    await _seed(rights, db, SUBJECT)
    await _seed(rights, db, OTHER)
    async with db.session() as session:
        submitted = await rights.submit(session, "access", SUBJECT, verified_via="anonymous_cookie")
        answer = await rights.fulfil(session, submitted.request.id)
    data = answer["export"]["data"]
    assert {"consent_record", "processing_restriction", "audit_log", "test_recording"} <= set(data)
    assert len(data["consent_record"]["records"]) == 2
    assert all(r["subject_ref"] == SUBJECT for r in data["consent_record"]["records"])
    (audio,) = data["test_recording"]["files"]
    assert base64.b64decode(audio["base64"]) == b"RIFF fake audio"
    assert "data_key" not in data
    json.dumps(answer["export"])  # one machine-readable document


@ENGINES
async def test_erase_leaves_nothing_but_legal_holds(rights: Rights, db: Database) -> None:
    folder = await _seed(rights, db, SUBJECT)
    await _seed(rights, db, OTHER)
    async with db.session() as session:
        submitted = await rights.submit(session, "erase", SUBJECT, verified_via="anonymous_cookie")
        answer = await rights.fulfil(session, submitted.request.id)

    left = await _rows_about(db, SUBJECT)
    assert set(left) == {"audit_log", "rights_requests"}  # the legal holds, and only them
    assert not folder.exists() or not any(folder.iterdir())
    async with db.session() as session:
        assert await session.get(DataKey, SUBJECT) is None
        assert await session.get(DataKey, OTHER) is not None
        kept_other = await session.scalars(
            select(ConsentRecord).where(ConsentRecord.subject_ref == OTHER)
        )
        assert len(kept_other.all()) == 2

    body = verify_receipt(answer["receipt"], rights.signer.key.public_key())
    assert body is not None and body["kind"] == "erase" and body["answered_in_time"]
    held = {h["category"] for h in body["kept_under_legal_hold"]}
    assert held == {"audit_log", "rights_request"}
    done = {a["category"] for a in body["actions"]}
    assert {"consent_record", "processing_restriction", "test_recording", "data_key"} <= done
    tampered = json.loads(answer["receipt"])
    tampered["receipt"]["kind"] = "access"
    assert verify_receipt(json.dumps(tampered), rights.signer.key.public_key()) is None


@ENGINES
async def test_restrict_object_withdraw_and_rectify(rights: Rights, db: Database) -> None:
    await _seed(rights, db, SUBJECT)
    async with db.session() as session:
        for kind in ("restrict", "withdraw_consent"):
            submitted = await rights.submit(session, kind, SUBJECT, verified_via="anonymous_cookie")
            await rights.fulfil(session, submitted.request.id)
        assert await rights.is_restricted(session, SUBJECT)
        current = await Consents(rights.clock).current(session, SUBJECT)
        assert current["preferences"].granted is False
        assert current["preferences"].method == "rights_request"
        bad = await rights.submit(
            session,
            "rectify",
            SUBJECT,
            verified_via="anonymous_cookie",
            payload={"category": "consent_record", "field": "granted", "value": True},
        )
        with pytest.raises(InvalidInput, match="cannot be rectified"):
            await rights.fulfil(session, bad.request.id)
        with pytest.raises(InvalidInput, match="unknown request"):
            await rights.submit(session, "forget_me_not", SUBJECT, verified_via="x")


@ENGINES
async def test_deadlines_extension_and_receipt_tokens(rights: Rights, db: Database) -> None:
    async with db.session() as session:
        submitted = await rights.submit(session, "access", SUBJECT, verified_via="anonymous_cookie")
        request = submitted.request
        # Received on a Friday: five business days later is the next Friday.
        assert request.acknowledge_by.date() == dt.date(2026, 3, 13)
        assert request.answer_by - request.received_at == dt.timedelta(days=30)
        extended = await rights.extend(session, request.id, "many records in backups")
        assert extended.answer_by - request.received_at == dt.timedelta(days=90)
        with pytest.raises(InvalidInput, match="only once"):
            await rights.extend(session, request.id, "again")
        assert [r.id for r in await rights.open_requests(session)] == [request.id]
        await rights.fulfil(session, request.id)
        assert json.loads(await rights.receipt(session, request.id, submitted.token))["receipt"]
        with pytest.raises(Exception, match="no such request"):
            await rights.receipt(session, request.id, "wrong-token")
        stored = await session.get(RightsRequest, request.id)
        assert stored is not None and stored.receipt_token_hash != submitted.token
        audit = await session.scalars(select(AuditEntry.action))
        assert {"rights.access.received", "rights.access.done", "rights.extended"} <= set(audit)


def test_business_days() -> None:
    friday = dt.datetime(2026, 3, 6, tzinfo=dt.UTC)
    assert add_business_days(friday, 1).weekday() == 0
    assert add_business_days(friday, 5) == dt.datetime(2026, 3, 13, tzinfo=dt.UTC)
