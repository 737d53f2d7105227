"""Contact lists: a business's people to call, imported from CSV as it streams in.

Each row's number is normalised to E.164 (national numbers in the list's country), its consent
to AI-voice calls read (the date and where it was given), and kept encrypted with the person's
own data key. Rows that fail are reported with their row number and reason, and the good rows
are kept; a number already on the list is counted as a duplicate, not stored twice. Rows are
written in batches, each its own transaction, so an upload of any size holds one batch in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import InvalidInput, NotFound
from ringfence.privacy.core import Privacy
from ringfence.privacy.models import ProcessingRestriction
from ringfence.privacy.subjects import keyed_ref, phone_ref
from ringfence.services.agents.campaigns.csvstream import csv_records
from ringfence.services.agents.campaigns.rules import CallingRules, Contactee, refusals
from ringfence.services.agents.models import Contact, ContactList, DoNotCall
from ringfence.store.database import Database, own_role_session
from ringfence.telephony.carriers import normalise
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

BATCH = 500
MAX_ERRORS_SHOWN = 100
NATIONAL = "national"


@dataclass(frozen=True)
class Columns:
    """Which CSV column holds what (by header name)."""

    phone: str
    name: str | None = None
    consent_at: str | None = None
    consent_source: str | None = None


@dataclass
class ImportReport:
    list_id: str
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, row: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_ERRORS_SHOWN:
            self.errors.append({"row": row, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.list_id, "imported": self.imported, "duplicates": self.duplicates,
                "rejected": self.rejected, "errors": self.errors}  # fmt: skip


def _consent_date(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"consent date {text.strip()[:30]!r} is not a date (2026-01-31)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class ContactLists:
    def __init__(self, db: Database, privacy: Privacy, clock: Clock, key: bytes) -> None:
        self.db = db
        self.privacy = privacy
        self.clock = clock
        self.key = key
        self.tenants = Tenants(db, clock)

    async def import_csv(
        self,
        who: Account,
        tenant_id: str,
        name: str,
        columns: Columns,
        region: str | None,
        chunks: AsyncIterator[bytes],
    ) -> ImportReport:
        await self.tenants.role(who, tenant_id, "agents.edit")
        region = region.upper() if region else None
        records = csv_records(chunks)
        header = [h.strip() for h in await anext(records, [])]
        wanted = {k: v for k, v in vars(columns).items() if v}
        missing = [v for v in wanted.values() if v not in header]
        if missing:
            raise InvalidInput(f"no column named {', '.join(missing)} in the header {header}")
        index = {k: header.index(v) for k, v in wanted.items()}
        listed = ContactList(name=name.strip()[:120] or "contacts", created_at=self.clock.now())
        async with tenant_session(self.db, tenant_id) as session:
            session.add(listed)
        report = ImportReport(listed.id)
        seen: set[str] = set()
        batch: list[dict[str, Any]] = []
        row = 1
        async for record in records:
            row += 1
            try:
                fields = self._row(record, index, region)
            except InvalidInput as exc:
                report.reject(row, exc.message)
                continue
            if fields["subject_ref"] in seen:
                report.duplicates += 1
                continue
            seen.add(fields["subject_ref"])
            batch.append(fields)
            if len(batch) >= BATCH:
                await self._store(tenant_id, listed.id, batch)
                report.imported += len(batch)
                batch = []
        if batch:
            await self._store(tenant_id, listed.id, batch)
            report.imported += len(batch)
        async with tenant_session(self.db, tenant_id) as session:
            stored = await session.get(ContactList, listed.id)
            assert stored is not None
            stored.imported, stored.duplicates = report.imported, report.duplicates
            stored.rejected = report.rejected
        return report

    def _row(self, record: list[str], index: dict[str, int], region: str | None) -> dict[str, Any]:
        def cell(name: str) -> str:
            at = index.get(name)
            return record[at].strip() if at is not None and at < len(record) else ""

        raw = cell("phone")
        if not raw:
            raise InvalidInput("no phone number")
        e164 = normalise(raw, region)
        consent = cell("consent_at")
        return {
            "e164": e164,
            "subject_ref": phone_ref(e164, self.key),
            "name": cell("name")[:200],
            "consent_at": _consent_date(consent) if consent else None,
            "consent_source": cell("consent_source")[:200] or None,
        }

    async def _store(self, tenant_id: str, list_id: str, batch: list[dict[str, Any]]) -> None:
        vault = self.privacy.vault
        now = self.clock.now()
        async with tenant_session(self.db, tenant_id) as session:
            for fields in batch:
                ref = fields["subject_ref"]
                parsed = phonenumbers.parse(fields["e164"])
                session.add(
                    Contact(
                        list_id=list_id,
                        subject_ref=ref,
                        number=await vault.encrypt(session, ref, fields["e164"].encode()),
                        number_tail=fields["e164"][-2:],
                        region=phonenumbers.region_code_for_number(parsed) or "ZZ",
                        name=await vault.encrypt(session, ref, fields["name"].encode())
                        if fields["name"]
                        else None,
                        consent_at=fields["consent_at"],
                        consent_source=fields["consent_source"],
                        created_at=now,
                    )
                )

    async def lists(self, who: Account, tenant_id: str) -> list[dict[str, Any]]:
        await self.tenants.role(who, tenant_id, "agents.read")
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.scalars(select(ContactList).order_by(ContactList.created_at))
            return [{"id": c.id, "name": c.name, "imported": c.imported,
                     "duplicates": c.duplicates, "rejected": c.rejected,
                     "created_at": c.created_at.isoformat()} for c in found.all()]  # fmt: skip

    async def delete(self, who: Account, tenant_id: str, list_id: str) -> int:
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            listed = await session.get(ContactList, list_id[:32])
            if listed is None:
                raise NotFound("no contact list of this business has this id")
            gone = await session.execute(delete(Contact).where(Contact.list_id == listed.id))
            await session.delete(listed)
            return int(gone.rowcount or 0)  # type: ignore[attr-defined]

    # -- do not call ---------------------------------------------------------------------------

    def number_hash(self, e164: str) -> str:
        return keyed_ref(phone_ref(e164, self.key), self.key)

    async def do_not_call(self, scope: str, numbers: list[str], source: str) -> int:
        """Add numbers (E.164, or national in no region: +-prefixed) to a do-not-call list;
        returns how many were new."""
        hashes = {self.number_hash(normalise(n)) for n in numbers}
        async with self.db.session() as session:
            known = set(
                (
                    await session.scalars(
                        select(DoNotCall.number_hash).where(
                            DoNotCall.scope == scope, DoNotCall.number_hash.in_(hashes)
                        )
                    )
                ).all()
            )
            now = self.clock.now()
            for digest in hashes - known:
                session.add(DoNotCall(scope=scope, number_hash=digest, source=source, added_at=now))
        return len(hashes - known)

    async def business_do_not_call(self, who: Account, tenant_id: str, numbers: list[str]) -> int:
        await self.tenants.role(who, tenant_id, "agents.edit")
        return await self.do_not_call(tenant_id, numbers, "import")

    async def opt_out(self, tenant_id: str, e164: str) -> None:
        """The person said stop (on a call, or by a key): at once, on every list of the business."""
        await self.do_not_call(tenant_id, [e164], "opt-out")
        ref = phone_ref(e164, self.key)
        async with tenant_session(self.db, tenant_id) as session:
            for contact in (
                await session.scalars(select(Contact).where(Contact.subject_ref == ref))
            ).all():
                contact.opted_out_at = contact.opted_out_at or self.clock.now()

    async def contactee(
        self, session: AsyncSession, tenant_id: str, contact: Contact, e164: str | None = None
    ) -> Contactee:
        """What the calling rules look at for a contact: its number decrypted (unless the caller
        has it already, ``e164``), consent, opt-out and do-not-call standing, read in
        ``session``."""
        number = (
            e164
            or (
                await self.privacy.vault.decrypt(session, contact.subject_ref, contact.number)
            ).decode()
        )
        async with own_role_session(session) as own:  # the tenant's role reads no restriction
            restricted = await own.scalar(
                select(ProcessingRestriction.kind).where(
                    ProcessingRestriction.subject_ref == contact.subject_ref
                )
            )
        return Contactee(number, contact.consent_at, contact.opted_out_at,
                         await self.blocked(tenant_id, number, session),
                         restricted=restricted is not None)  # fmt: skip

    async def blocked(
        self, tenant_id: str, e164: str, session: AsyncSession | None = None
    ) -> str | None:
        """Which do-not-call list holds the number ("business" or "national"), if one does;
        in ``session`` when given (a dialler's transaction), else in a session of its own."""
        digest = self.number_hash(e164)
        query = select(DoNotCall.scope).where(
            DoNotCall.number_hash == digest, DoNotCall.scope.in_([tenant_id, NATIONAL])
        )
        if session is not None:
            scopes = set((await session.scalars(query)).all())
        else:
            async with self.db.session() as own:
                scopes = set((await own.scalars(query)).all())
        if tenant_id in scopes:
            return "business"
        return "national" if scopes else None


@dataclass
class Preflight:
    """A list checked against the calling rules at one moment, as a campaign would be."""

    callable: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    contacts: list[dict[str, Any]] = field(default_factory=list)  # the first ones, with reasons

    def to_dict(self) -> dict[str, Any]:
        return {"callable": self.callable, "refused": self.refused, "contacts": self.contacts}


async def preflight(
    lists: ContactLists,
    who: Account,
    tenant_id: str,
    list_id: str,
    now: dt.datetime,
    rules: CallingRules,
    caller_id_verified: bool,
    shown: int = 200,
) -> Preflight:
    """Which contacts of the list may be called at ``now``, and why the others may not."""
    await lists.tenants.role(who, tenant_id, "agents.read")
    report = Preflight()
    async with tenant_session(lists.db, tenant_id) as session:
        if await session.get(ContactList, list_id[:32]) is None:
            raise NotFound("no contact list of this business has this id")
        rows = await session.stream_scalars(
            select(Contact).where(Contact.list_id == list_id).order_by(Contact.created_at)
        )
        async for contact in rows:
            who_ = await lists.contactee(session, tenant_id, contact)
            reasons = refusals(who_, now, rules, caller_id_verified)
            if not reasons:
                report.callable += 1
            for reason in reasons:
                key = reason.split(" (")[0]
                report.refused[key] = report.refused.get(key, 0) + 1
            if len(report.contacts) < shown:
                report.contacts.append({"id": contact.id, "number": f"…{contact.number_tail}",
                                        "region": contact.region, "refusals": reasons})  # fmt: skip
    return report
