"""Rights requests: access and export, rectify, erase, restrict, object, withdraw consent.

A request is verified before it acts (here: proof of the anonymous cookie id, the only identity an
anonymous visitor has; account e-mail links and phone call-back codes join when accounts and
telephony exist), is tracked against the legal deadlines (acknowledge within 5 business days;
answer within 30 days under the GDPR or 45 under the CCPA, extendable once with notice), and ends
with a signed receipt the subject keeps, fetched with a token held in their own cookie.

The work walks the inventory, so a category declared by any service is exported and erased with
no code here knowing it. Categories with a legal hold are kept on erasure and named in the answer.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import InvalidInput, NotFound
from ringfence.privacy.audit import Audit
from ringfence.privacy.consent import Consents
from ringfence.privacy.crypto import Vault
from ringfence.privacy.files import subject_folder
from ringfence.privacy.inventory import Category, Inventory
from ringfence.privacy.models import ProcessingRestriction, RightsRequest
from ringfence.privacy.receipts import ReceiptSigner
from ringfence.privacy.subjects import keyed_ref
from ringfence.store.base import Base
from ringfence.store.database import SCRUB
from ringfence.store.schema import target_metadata

# A service's first step of an erasure: deletes what a processor holds; returns its actions.
Eraser = Callable[[AsyncSession, str], Awaitable[list[dict[str, Any]]]]
# The other subject references a subject's own records prove are theirs (an account's verified
# numbers): a request about the subject covers them too.
Link = Callable[[AsyncSession, str], Awaitable[list[str]]]

KINDS = {
    "access": "See and download everything held about you (a JSON export).",
    "rectify": "Correct data that is wrong.",
    "erase": "Delete everything held about you, except what the law makes us keep.",
    "restrict": "Stop using your data, except to store it, until you lift the restriction.",
    "object": "Object to processing based on our legitimate interests.",
    "lift_restriction": "Lift your restriction and objection: your data is used again as before.",
    "withdraw_consent": "Withdraw every consent you gave.",
}
DEADLINES = {"gdpr": (30, 60), "ccpa": (45, 45)}  # days to answer, and the one extension
ACK_BUSINESS_DAYS = 5


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


MAX_RECTIFIED = 200  # characters of a corrected value
WITHHELD = "withheld: a secret that signs you in, never given out"


@dataclass(frozen=True)
class Correctable:
    """A field a subject may correct, and what it holds now."""

    category: str
    title: str
    field: str
    value: str
    via: str  # a page that changes it with proof, when it is not corrected directly


@dataclass(frozen=True)
class Submitted:
    request: RightsRequest
    token: str  # shown to the subject once (kept in their cookie), stored only as a hash


class Rights:
    def __init__(
        self,
        inventory: Inventory,
        vault: Vault,
        signer: ReceiptSigner,
        clock: Clock,
        *,
        data_dir: Path,
        jurisdiction: str,
        policy_version: str,
        key: bytes,
        erasers: Sequence[Eraser] = (),
        links: Sequence[Link] = (),
    ) -> None:
        self.inventory = inventory
        self.vault = vault
        self.signer = signer
        self.clock = clock
        self.data_dir = data_dir
        self.jurisdiction = jurisdiction
        self.policy_version = policy_version
        self.key = key
        self.erasers = erasers
        self.links = links
        self.audit = Audit(clock)
        self.consents = Consents(clock)
        target_metadata()

    # -- intake --------------------------------------------------------------------------------

    async def submit(
        self,
        session: AsyncSession,
        kind: str,
        subject_ref: str,
        *,
        verified_via: str,
        payload: dict[str, Any] | None = None,
    ) -> Submitted:
        if kind not in KINDS:
            raise InvalidInput(f"unknown request {kind!r}; accepted: {', '.join(KINDS)}")
        now = self.clock.now()
        answer_days, _ = DEADLINES[self.jurisdiction]
        token = secrets.token_urlsafe(24)
        request = RightsRequest(
            kind=kind,
            subject_ref=subject_ref,
            status="verified",
            verified_via=verified_via,
            received_at=now,
            acknowledge_by=add_business_days(now, ACK_BUSINESS_DAYS),
            answer_by=now + dt.timedelta(days=answer_days),
            extended=False,
            payload=payload or {},
            receipt_token_hash=token_hash(token),
        )
        session.add(request)
        await session.flush()
        self.audit.record(
            session,
            actor_kind="subject",
            actor_id=subject_ref,
            action=f"rights.{kind}.received",
            subject_ref=subject_ref,
            request=request.id,
        )
        return Submitted(request, token)

    async def extend(self, session: AsyncSession, request_id: str, reason: str) -> RightsRequest:
        request = await self._get(session, request_id)
        if request.extended:
            raise InvalidInput("a request can be extended only once")
        if request.completed_at is not None:
            raise InvalidInput("the request is already answered")
        _, extra = DEADLINES[self.jurisdiction]
        request.answer_by = request.answer_by + dt.timedelta(days=extra)
        request.extended = True
        request.extension_reason = reason
        self.audit.record(
            session,
            actor_kind="operator",
            actor_id="operator",
            action="rights.extended",
            subject_ref=request.subject_ref,
            request=request.id,
        )
        return request

    async def _get(self, session: AsyncSession, request_id: str) -> RightsRequest:
        request = await session.get(RightsRequest, request_id)
        if request is None:
            raise NotFound("no such request")
        return request

    async def open_requests(self, session: AsyncSession) -> Sequence[RightsRequest]:
        rows = await session.scalars(
            select(RightsRequest)
            .where(RightsRequest.completed_at.is_(None))
            .order_by(RightsRequest.answer_by)
        )
        return rows.all()

    async def receipt(self, session: AsyncSession, request_id: str, token: str) -> str:
        request = await self._get(session, request_id)
        if not secrets.compare_digest(request.receipt_token_hash, token_hash(token)):
            raise NotFound("no such request")
        if request.receipt is None:
            raise NotFound("the request is not answered yet")
        return request.receipt

    # -- fulfilment ----------------------------------------------------------------------------

    async def fulfil(self, session: AsyncSession, request_id: str) -> dict[str, Any]:
        """Carry the request out and seal it with a receipt; returns the answer (an export for
        access requests)."""
        request = await self._get(session, request_id)
        if request.completed_at is not None:
            raise InvalidInput("the request is already answered")
        ref = request.subject_ref
        answer: dict[str, Any] = {}
        actions: list[dict[str, Any]] = []
        holds: list[dict[str, str]] = []
        if request.kind == "access":
            answer["export"] = await self.export(session, ref)
            actions.append({"action": "exported", "categories": sorted(answer["export"]["data"])})
        elif request.kind == "erase":
            actions, holds = await self.erase(session, ref, exclude_request=request.id)
        elif request.kind in ("restrict", "object"):
            for subject in await self.subjects(session, ref):
                existing = await session.get(ProcessingRestriction, (subject, request.kind))
                if existing is None:
                    session.add(
                        ProcessingRestriction(
                            subject_ref=subject, kind=request.kind, since=self.clock.now()
                        )
                    )
            actions.append(
                {
                    "action": f"{request.kind}ed"
                    if request.kind == "restrict"
                    else "objection recorded"
                }
            )
        elif request.kind == "lift_restriction":
            lifted = await self.lift(session, ref)
            actions.append({"action": "restriction lifted", "lifted": lifted})
        elif request.kind == "withdraw_consent":
            withdrawn = []
            for subject in await self.subjects(session, ref):
                withdrawn += await self.consents.withdraw_all(
                    session, subject, method="rights_request", policy_version=self.policy_version
                )
            actions.append({"action": "consent withdrawn", "purposes": withdrawn})
        elif request.kind == "rectify":
            actions = await self.rectify(session, ref, request.payload)
        now = self.clock.now()
        body = {
            "request": request.id,
            "kind": request.kind,
            "subject": ref,
            "received_at": request.received_at.isoformat(),
            "completed_at": now.isoformat(),
            "answered_in_time": now <= request.answer_by,
            "actions": actions,
            "kept_under_legal_hold": holds,
            "policy_version": self.policy_version,
            "jurisdiction": self.jurisdiction,
        }
        request.receipt = self.signer.sign(body)
        request.completed_at = now
        request.status = "done"
        self.audit.record(
            session,
            actor_kind="system",
            actor_id="rights",
            action=f"rights.{request.kind}.done",
            subject_ref=ref,
            request=request.id,
            categories=len(actions),
        )
        answer["receipt"] = request.receipt
        return answer

    def _subject_categories(self) -> list[tuple[Category, Table]]:
        out = []
        for category in self.inventory:
            if not category.table or not category.subject_field:
                continue
            out.append((category, Base.metadata.tables[category.table]))
        return out

    def _held_as(self, category: Category, subject_ref: str) -> str:
        """The value the category's subject column holds for this subject."""
        return keyed_ref(subject_ref, self.key) if category.subject_hashed else subject_ref

    async def subjects(self, session: AsyncSession, subject_ref: str) -> list[str]:
        """The subject and every reference linked to it (``Link``), in a stable order."""
        linked: list[str] = []
        for link in self.links:
            linked.extend(r for r in await link(session, subject_ref) if r != subject_ref)
        return [subject_ref, *sorted(set(linked))]

    async def export(self, session: AsyncSession, subject_ref: str) -> dict[str, Any]:
        """Everything held about the subject and the references linked to it, across every
        category and its files."""
        subjects = await self.subjects(session, subject_ref)
        data: dict[str, Any] = {}
        for subject in subjects:
            for name, found in (await self._export_subject(session, subject)).items():
                merged = data.setdefault(name, {"title": found["title"], "records": []})
                merged["records"].extend(found["records"])
                if "files" in found:
                    merged.setdefault("files", []).extend(found["files"])
        return {
            "subject": subject_ref,
            "linked_subjects": subjects[1:],
            "generated_at": self.clock.now().isoformat(),
            "policy_version": self.policy_version,
            "data": data,
        }

    async def _export_subject(self, session: AsyncSession, subject_ref: str) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for category, table in self._subject_categories():
            if category.name == "data_key":
                continue  # key material is not the subject's data; its existence is
            rows = (
                await session.execute(
                    select(table).where(
                        table.c[category.subject_field] == self._held_as(category, subject_ref)
                    )
                )
            ).mappings()
            records = [
                {
                    k: WITHHELD if k in category.withheld else _jsonable(v)
                    for k, v in row.items()
                    if not category.shown or k in category.shown
                }
                for row in rows
            ]
            if category.encrypted:
                for record in records:
                    for name in category.fields:
                        stored = record.get(name)
                        if isinstance(stored, dict) and "base64" in stored:
                            raw = base64.b64decode(stored["base64"])
                            plain = await self.vault.decrypt(session, subject_ref, raw)
                            record[name] = _text_or_base64(plain)
            if records:
                data[category.name] = {"title": category.title, "records": records}
        files = await asyncio.to_thread(self._subject_files, subject_ref)
        for name, entries in files.items():
            exported = []
            for path in entries:
                content = await asyncio.to_thread(path.read_bytes)
                if self.inventory[name].encrypted:
                    content = await self.vault.decrypt(session, subject_ref, content)
                exported.append({"name": path.name, "base64": base64.b64encode(content).decode()})
            data.setdefault(name, {"title": self.inventory[name].title, "records": []})
            data[name]["files"] = exported
        return data

    def subject_folder(self, category_name: str, subject_ref: str) -> Path:
        """Where a file-store category keeps one subject's files."""
        return subject_folder(self.data_dir, self.inventory[category_name], subject_ref)

    def _subject_files(self, subject_ref: str) -> dict[str, list[Path]]:
        out: dict[str, list[Path]] = {}
        for category in self.inventory:
            if not category.is_file_store:
                continue
            folder = subject_folder(self.data_dir, category, subject_ref)
            if folder.is_dir():
                out[category.name] = sorted(p for p in folder.rglob("*") if p.is_file())
        return out

    async def erase(
        self, session: AsyncSession, subject_ref: str, *, exclude_request: str | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        """Erase the subject and every reference linked to it (found before anything goes);
        what a legal hold keeps is named in the second list, once per category."""
        session.info[SCRUB] = True  # nothing erased stays readable in the files once committed
        actions: list[dict[str, Any]] = []
        holds: dict[str, dict[str, str]] = {}
        for subject in await self.subjects(session, subject_ref):
            done, kept = await self._erase_subject(session, subject)
            actions.extend(done)
            holds.update((h["category"], h) for h in kept)
        self.audit.record(
            session,
            actor_kind="system",
            actor_id="rights",
            action="rights.erase.applied",
            subject_ref=subject_ref,
            categories=[a["category"] for a in actions],
        )
        return actions, list(holds.values())

    async def _erase_subject(
        self, session: AsyncSession, subject_ref: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        actions: list[dict[str, Any]] = []
        holds: list[dict[str, str]] = []
        for eraser in self.erasers:  # what processors hold, while our rows still say where
            actions.extend(await eraser(session, subject_ref))
        for category, table in self._subject_categories():
            column = table.c[category.subject_field]
            held = self._held_as(category, subject_ref)
            if category.legal_hold:
                kept = await session.scalar(
                    select(func.count()).select_from(table).where(column == held)
                )
                if kept:
                    holds.append({"category": category.name, "why": category.legal_hold})
                continue
            if category.erase_clears:  # the rows are another person's too: unlink this one
                cleared = dict.fromkeys(category.erase_clears, None)
                result = await session.execute(update(table).where(column == held).values(cleared))
                verb = "unlinked"
            else:
                result = await session.execute(delete(table).where(column == held))
                verb = "deleted"
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
            if count:
                actions.append({"action": verb, "category": category.name, "records": count})
        files = await asyncio.to_thread(self._subject_files, subject_ref)
        for name, paths in files.items():
            for path in paths:
                await asyncio.to_thread(path.unlink, True)
            actions.append({"action": "deleted", "category": name, "files": len(paths)})
        if await self.vault.destroy(session, subject_ref):
            actions.append({"action": "data key destroyed", "category": "data_key"})
        return actions, holds

    async def rectify(
        self, session: AsyncSession, subject_ref: str, payload: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Correct one field the inventory marks ``rectifiable``, in every record of the subject
        (and of the references linked to it); encrypted fields are stored encrypted again with
        the record's own subject key. The new value is audited by name only, never its text."""
        category_name = str(payload.get("category", ""))
        field = str(payload.get("field", ""))
        if category_name not in self.inventory:
            raise InvalidInput(f"unknown category {category_name!r}")
        category = self.inventory[category_name]
        if field not in category.rectifiable:
            accepted = ", ".join(category.rectifiable) or "none"
            raise InvalidInput(
                f"{field!r} of {category_name} cannot be rectified; accepted: {accepted}"
            )
        if category.rectify_via:
            raise InvalidInput(f"{field} is changed with proof: use {category.rectify_via}")
        value = payload.get("value")
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput("give the corrected value as text")
        if len(value) > MAX_RECTIFIED:
            raise InvalidInput(f"the corrected value is too long ({MAX_RECTIFIED} characters)")
        table = Base.metadata.tables[category.table or ""]
        changed = 0
        for subject in await self.subjects(session, subject_ref):
            stored: Any = value.strip()
            if category.encrypted:
                stored = await self.vault.encrypt(session, subject, stored.encode())
            result = await session.execute(
                update(table)
                .where(table.c[category.subject_field] == self._held_as(category, subject))
                .values({field: stored})
            )
            changed += int(result.rowcount or 0)  # type: ignore[attr-defined]
        if not changed:
            raise InvalidInput(f"nothing of yours is held as {category.title.lower()}")
        self.audit.record(
            session,
            actor_kind="subject",
            actor_id=subject_ref,
            action="rights.rectify.applied",
            category=category_name,
            subject_ref=subject_ref,
            field=field,
            records=changed,
        )
        return [
            {"action": "rectified", "category": category_name, "field": field, "records": changed}
        ]

    async def correctable(self, session: AsyncSession, subject_ref: str) -> list[Correctable]:
        """The fields the subject may correct, with what is held in them now (decrypted)."""
        out: list[Correctable] = []
        subjects = await self.subjects(session, subject_ref)
        for category, table in self._subject_categories():
            for field in category.rectifiable:
                for subject in subjects:
                    column = table.c[category.subject_field]
                    rows = await session.execute(
                        select(table.c[field]).where(column == self._held_as(category, subject))
                    )
                    for (held,) in rows:
                        if category.encrypted and held is not None:
                            held = (await self.vault.decrypt(session, subject, held)).decode()
                        out.append(
                            Correctable(category.name, category.title, field,
                                        held or "", category.rectify_via)
                        )  # fmt: skip
        return out

    async def lift(self, session: AsyncSession, subject_ref: str) -> list[str]:
        """End the subject's restriction and objection, under every reference linked to it (as
        they were recorded); the kinds that stood. Only the subject lifts them: a request is
        theirs, verified like the one that set them (GDPR art. 18(3) has the controller tell
        them before it lifts one; here they do it themselves, and the receipt says so)."""
        lifted: set[str] = set()
        for subject in await self.subjects(session, subject_ref):
            kinds = await session.scalars(
                delete(ProcessingRestriction)
                .where(ProcessingRestriction.subject_ref == subject)
                .returning(ProcessingRestriction.kind)
            )
            lifted.update(kinds.all())
        return sorted(lifted)

    async def is_restricted(self, session: AsyncSession, subject_ref: str) -> bool:
        found = await session.scalar(
            select(ProcessingRestriction.kind).where(
                ProcessingRestriction.subject_ref == subject_ref
            )
        )
        return found is not None


def _text_or_base64(plain: bytes) -> Any:
    """Decrypted text as text; anything else (a recording's audio) as base64, losslessly."""
    try:
        return plain.decode()
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(plain).decode()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    return value
