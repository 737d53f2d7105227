"""A business runs its agent's knowledge base: change, delete and reorder entries, import and
export them as CSV, and see which entries callers hit and which questions went unanswered.

The CSV has a header row with ``question`` and ``answer``. An import checks every row first:
if one is wrong, the reply names each wrong line and why, and nothing changes (what is stored
is never lost to a half-read file); otherwise a row whose question is already there replaces
that entry's answer and the others are added at the end. The export escapes cells a
spreadsheet would run as a formula (a leading ``'``), which the import takes off again.

What callers asked comes from the calls' transcripts, so it reaches back only as far as the
business's records are kept: each caller turn is matched against the knowledge base as the
offline dialogue matches it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import InvalidInput, NotFound
from ringfence.privacy.core import Privacy
from ringfence.services.agents.dialogue.offline import Dialogue
from ringfence.services.agents.models import Agent, AgentCall, KnowledgeEntry
from ringfence.speech.embeddings import default_embedder
from ringfence.store.database import Database
from ringfence.tenants.keys import Principal
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

MAX_ENTRIES = 1_000
MAX_QUESTION, MAX_ANSWER = 500, 5_000
MAX_CSV_BYTES = 2 * 1024 * 1024
FORMULA = ("=", "+", "-", "@")
CALLS_READ = 200  # the most recent calls whose transcripts the insight reads


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int

    def to_dict(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated}


def entry_dict(entry: KnowledgeEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "question": entry.question,
        "answer": entry.answer,
        "position": entry.position,
    }


def _text(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA:
        return value[1:]
    return value


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA) else value


def checked(question: str, answer: str) -> tuple[str, str]:
    """The entry's question and answer, trimmed; InvalidInput says what is wrong."""
    question, answer = question.strip(), answer.strip()
    if not question:
        raise InvalidInput("the question is empty")
    if not answer:
        raise InvalidInput("the answer is empty")
    if len(question) > MAX_QUESTION:
        raise InvalidInput(f"the question is longer than {MAX_QUESTION} characters")
    if len(answer) > MAX_ANSWER:
        raise InvalidInput(f"the answer is longer than {MAX_ANSWER} characters")
    return question, answer


def parse_csv(data: bytes) -> list[tuple[str, str]]:
    """The rows of a knowledge CSV; InvalidInput names every wrong line (the header is 1)."""
    if len(data) > MAX_CSV_BYTES:
        raise InvalidInput(f"the file is over {MAX_CSV_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text: save it as CSV UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "question" not in header or "answer" not in header:
        raise InvalidInput("line 1: the header needs the columns question and answer")
    reader.fieldnames = header
    rows: list[tuple[str, str]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            try:
                question, answer = checked(_text(row.get("question")), _text(row.get("answer")))
            except InvalidInput as exc:
                problems.append(f"line {line}: {exc.message}")
                continue
            if question.lower() in seen:
                problems.append(f"line {line}: the same question as line {seen[question.lower()]}")
                continue
            seen[question.lower()] = line
            rows.append((question, answer))
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: not valid CSV ({exc})")
    if problems:
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise InvalidInput("nothing was imported: " + "; ".join(problems[:20]) + more)
    if not rows:
        raise InvalidInput("the file has no entries under its header")
    return rows


async def _agent(session: AsyncSession, agent_id: str) -> Agent:
    agent = await session.get(Agent, agent_id[:32])
    if agent is None:
        raise NotFound("no agent of this business has this id")
    return agent


async def _entries(session: AsyncSession, agent_id: str) -> list[KnowledgeEntry]:
    found = await session.scalars(
        select(KnowledgeEntry)
        .where(KnowledgeEntry.agent_id == agent_id)
        .order_by(KnowledgeEntry.position, KnowledgeEntry.id)
    )
    return list(found.all())


async def next_position(session: AsyncSession, agent_id: str) -> int:
    last = await session.scalar(
        select(func.max(KnowledgeEntry.position)).where(KnowledgeEntry.agent_id == agent_id)
    )
    return 0 if last is None else int(last) + 1


class Knowledge:
    def __init__(self, db: Database, privacy: Privacy, clock: Clock) -> None:
        self.db = db
        self.privacy = privacy
        self.tenants = Tenants(db, clock)

    async def entries(self, who: Principal, tenant_id: str, agent_id: str) -> list[dict[str, Any]]:
        await self.tenants.role(who, tenant_id, "agents.read")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            return [entry_dict(e) for e in await _entries(session, agent.id)]

    async def add(
        self, who: Principal, tenant_id: str, agent_id: str, question: str, answer: str
    ) -> str:
        await self.tenants.role(who, tenant_id, "agents.edit")
        question, answer = checked(question, answer)
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            if len(await _entries(session, agent.id)) >= MAX_ENTRIES:
                raise InvalidInput(f"an agent knows at most {MAX_ENTRIES} entries")
            position = await next_position(session, agent.id)
            entry = KnowledgeEntry(
                agent_id=agent.id, question=question, answer=answer, position=position
            )
            session.add(entry)
            await session.flush()
            return entry.id

    async def change(
        self,
        who: Principal,
        tenant_id: str,
        agent_id: str,
        entry_id: str,
        question: str,
        answer: str,
    ) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        question, answer = checked(question, answer)
        async with tenant_session(self.db, tenant_id) as session:
            entry = await self._entry(session, agent_id, entry_id)
            entry.question, entry.answer = question, answer
            return entry_dict(entry)

    async def delete(self, who: Principal, tenant_id: str, agent_id: str, entry_id: str) -> None:
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            await session.delete(await self._entry(session, agent_id, entry_id))

    async def reorder(
        self, who: Principal, tenant_id: str, agent_id: str, order: list[str]
    ) -> list[dict[str, Any]]:
        """Put the entries in ``order`` (every entry's id, once)."""
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            entries = {e.id: e for e in await _entries(session, agent.id)}
            if len(order) != len(set(order)) or set(order) != set(entries):
                raise InvalidInput("give every entry's id once, in the new order")
            for position, entry_id in enumerate(order):
                entries[entry_id].position = position
            return [entry_dict(entries[i]) for i in order]

    async def import_csv(
        self, who: Principal, tenant_id: str, agent_id: str, data: bytes
    ) -> ImportReport:
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)  # another business's agent: not found
            rows = parse_csv(data)
            entries = await _entries(session, agent.id)
            by_question = {e.question.lower(): e for e in entries}
            new = [r for r in rows if r[0].lower() not in by_question]
            if len(entries) + len(new) > MAX_ENTRIES:
                raise InvalidInput(
                    f"nothing was imported: an agent knows at most {MAX_ENTRIES} entries "
                    f"({len(entries)} now, {len(new)} new in the file)"
                )
            position = await next_position(session, agent.id)
            updated = 0
            for question, answer in rows:
                found = by_question.get(question.lower())
                if found is not None:
                    updated += found.answer != answer
                    found.answer = answer
                    continue
                session.add(
                    KnowledgeEntry(
                        agent_id=agent.id, question=question, answer=answer, position=position
                    )
                )
                position += 1
            return ImportReport(added=len(new), updated=updated)

    async def export_csv(self, who: Principal, tenant_id: str, agent_id: str) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["question", "answer"])
        for entry in await self.entries(who, tenant_id, agent_id):
            writer.writerow([_cell(entry["question"]), _cell(entry["answer"])])
        return out.getvalue()

    async def insights(self, who: Principal, tenant_id: str, agent_id: str) -> dict[str, Any]:
        """How often callers hit each entry and what they asked that nothing answered, from
        the transcripts of the agent's most recent calls still kept (calls.read: they quote
        callers)."""
        await self.tenants.role(who, tenant_id, "calls.read")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            entries = await _entries(session, agent.id)
            calls = (
                await session.scalars(
                    select(AgentCall)
                    .where(AgentCall.agent_id == agent.id)
                    .order_by(AgentCall.started_at.desc())
                    .limit(CALLS_READ)
                )
            ).all()
            said: list[tuple[str, str]] = []  # (call started at, caller's words)
            for call in calls:
                lines = json.loads(
                    await self.privacy.vault.decrypt(session, call.subject_ref, call.transcript)
                )
                said += [
                    (call.started_at.isoformat(), str(line.get("text", "")))
                    for line in lines
                    if line.get("speaker") == "caller" and str(line.get("text", "")).strip()
                ]
        business = await self._business(tenant_id)
        knowledge = [(e.question, e.answer) for e in entries]
        dialogue = await asyncio.to_thread(Dialogue, default_embedder(), business, knowledge)
        hits: Counter[str] = Counter()
        unanswered: list[dict[str, str]] = []
        for at, text in said:
            turn = await asyncio.to_thread(dialogue.respond, text)
            if turn.kind == "answer" and turn.matched:
                hits[turn.matched] += 1
            elif turn.kind == "fallback":
                unanswered.append({"at": at, "said": text})
        return {
            "calls": len(calls),
            "entries": [
                {**entry_dict(e), "hits": hits.get(e.question, 0)}
                for e in sorted(entries, key=lambda e: -hits.get(e.question, 0))
            ],
            "unanswered": unanswered[:50],
        }

    async def _business(self, tenant_id: str) -> str:
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        return tenant.name if tenant else "this business"

    async def _entry(self, session: AsyncSession, agent_id: str, entry_id: str) -> KnowledgeEntry:
        entry = await session.get(KnowledgeEntry, entry_id[:32])
        if entry is None or entry.agent_id != agent_id[:32]:
            raise NotFound("this agent has no knowledge entry with this id")
        return entry
