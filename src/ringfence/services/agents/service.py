"""What members of a business do with its agents, checked against their role and done in a
session scoped to the business: list, create, change and delete agents, add knowledge, try a
reply. The API and the dashboard pages both go through here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import Forbidden, InvalidInput, NotFound
from ringfence.redact import mask_number
from ringfence.services.agents.calls.components import VOICES
from ringfence.services.agents.dialogue.conversation import NO_TRANSFER, Conversation, Step
from ringfence.services.agents.dialogue.model import language_model
from ringfence.services.agents.dialogue.offline import Dialogue, Turn
from ringfence.services.agents.models import Agent, AgentNumber, CustomVoice, KnowledgeEntry
from ringfence.services.agents.voices.service import PREFIX as CUSTOM_PREFIX
from ringfence.settings import AgentSettings
from ringfence.speech.embeddings import default_embedder
from ringfence.store.database import Database
from ringfence.telephony.carriers import normalise
from ringfence.tenants.keys import Principal
from ringfence.tenants.models import Tenant
from ringfence.tenants.numbers import controls
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

EDITABLE = ("name", "greeting", "instructions", "language", "voice", "transfer_number", "slots")


def agent_dict(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "name": agent.name,
        "greeting": agent.greeting,
        "instructions": agent.instructions,
        "language": agent.language,
        "voice": agent.voice,
        "disclosure": agent.disclosure,
        "phone_number": agent.phone_number,
        "transfer_number": agent.transfer_number,
        "slots": agent.slots,
    }


def _fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The editable fields, numbers in E.164 (a 4xx with the reason when one is not)."""
    out = {k: v for k, v in fields.items() if k in EDITABLE}
    custom = str(out.get("voice", "")).startswith(CUSTOM_PREFIX)
    if "voice" in out and out["voice"] not in VOICES and not custom:
        raise InvalidInput(f"unknown voice {out['voice']!r}; one of: {', '.join(VOICES)}")
    if out.get("transfer_number"):
        out["transfer_number"] = normalise(out["transfer_number"])
    return out


async def _check_custom_voice(session: AsyncSession, voice: str) -> None:
    """A custom voice must be this business's, made, and its consent standing."""
    if not voice.startswith(CUSTOM_PREFIX):
        return
    found = await session.get(CustomVoice, voice.removeprefix(CUSTOM_PREFIX)[:32])
    if found is None or found.state != "ready":
        raise InvalidInput("that custom voice is not ready (made, with its speaker's consent)")


async def _agent(session: AsyncSession, agent_id: str) -> Agent:
    agent = await session.get(Agent, agent_id[:32])
    if agent is None:
        raise NotFound("no agent of this business has this id")
    return agent


class Agents:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        key: bytes,
        on_number: Callable[[str], None] = lambda _n: None,
        settings: AgentSettings | None = None,
    ) -> None:
        """``key``: the platform's signing key (a business's verified numbers are found by a
        keyed hash); ``settings``: the language model the try box asks, when one is set."""
        self.settings = settings or AgentSettings()
        self.db = db
        self.clock = clock
        self.key = key
        self.tenants = Tenants(db, clock)
        self.on_number = on_number  # routes a newly set number to the receptionist

    async def business_name(self, tenant_id: str) -> str:
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        return tenant.name if tenant else "this business"

    async def list(self, who: Principal, tenant_id: str) -> list[dict[str, Any]]:
        await self.tenants.role(who, tenant_id, "agents.read")
        async with tenant_session(self.db, tenant_id) as session:
            agents = (await session.scalars(select(Agent).order_by(Agent.created_at))).all()
            return [agent_dict(a) for a in agents]

    async def create(
        self, who: Principal, tenant_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        now = self.clock.now()
        business = await self.business_name(tenant_id)
        agent = Agent(
            **_fields(fields),
            disclosure=f"You are speaking with an automated assistant for {business}.",
            created_at=now,
            updated_at=now,
        )
        if fields.get("phone_number"):  # refused before anything is written
            await self._require_verified(tenant_id, normalise(fields["phone_number"]))
        async with tenant_session(self.db, tenant_id) as session:
            await _check_custom_voice(session, agent.voice)
            session.add(agent)
        if fields.get("phone_number"):
            await self._set_number(tenant_id, agent.id, fields["phone_number"])
            agent.phone_number = normalise(fields["phone_number"])
        return agent_dict(agent)

    async def get(self, who: Principal, tenant_id: str, agent_id: str) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.read")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            entries = (
                await session.scalars(
                    select(KnowledgeEntry)
                    .where(KnowledgeEntry.agent_id == agent.id)
                    .order_by(KnowledgeEntry.position, KnowledgeEntry.id)
                )
            ).all()
            return {
                **agent_dict(agent),
                "knowledge": [
                    {"id": e.id, "question": e.question, "answer": e.answer} for e in entries
                ],
            }

    async def update(
        self, who: Principal, tenant_id: str, agent_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        changes = _fields(fields)
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
        if "phone_number" in fields and fields["phone_number"] != agent.phone_number:
            await self._set_number(tenant_id, agent.id, fields["phone_number"])
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            await _check_custom_voice(session, changes.get("voice", ""))
            for name, value in changes.items():
                setattr(agent, name, value)
            agent.updated_at = self.clock.now()
            return agent_dict(agent)

    async def _set_number(self, tenant_id: str, agent_id: str, number: str | None) -> None:
        """Give the agent the number callers dial (or take it away), unique across businesses.
        Only a number the business verified (a call to it that asked for a code) can route its
        callers here: a claimed number would take another's calls."""
        e164 = normalise(number) if number else None
        if e164 is not None:
            await self._require_verified(tenant_id, e164)
        async with self.db.session() as session:
            if e164 is not None:
                taken = await session.get(AgentNumber, e164)
                if taken is not None and taken.agent_id != agent_id:
                    raise InvalidInput("this number already answers another agent")
            current = await session.scalar(
                select(AgentNumber).where(AgentNumber.agent_id == agent_id)
            )
            if current is not None:
                await session.delete(current)
                await session.flush()
            if e164 is not None:
                session.add(AgentNumber(number=e164, tenant_id=tenant_id, agent_id=agent_id))
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            agent.phone_number = e164
        if e164 is not None:
            self.on_number(e164)

    async def _require_verified(self, tenant_id: str, e164: str) -> None:
        if not await controls(self.db, self.key, tenant_id, e164):
            raise Forbidden(
                f"{mask_number(e164)} is not a number this business has verified: verify it "
                "on the business's page first (a call to it asks for a code)"
            )

    async def unroute(self, tenant_id: str, e164: str) -> None:
        """The business no longer controls ``e164``: no agent of its answers it any more."""
        async with self.db.session() as session:
            route = await session.get(AgentNumber, e164)
            if route is None or route.tenant_id != tenant_id:
                return
            agent_id = route.agent_id
            await session.delete(route)
        async with tenant_session(self.db, tenant_id) as session:
            agent = await session.get(Agent, agent_id)
            if agent is not None:
                agent.phone_number = None

    async def delete(self, who: Principal, tenant_id: str, agent_id: str) -> None:
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            entries = await session.scalars(
                select(KnowledgeEntry).where(KnowledgeEntry.agent_id == agent.id)
            )
            for entry in entries.all():
                await session.delete(entry)
            await session.delete(agent)
        async with self.db.session() as session:
            number = await session.scalar(
                select(AgentNumber).where(AgentNumber.agent_id == agent_id[:32])
            )
            if number is not None:
                await session.delete(number)

    async def reply(self, who: Account, tenant_id: str, agent_id: str, said: str) -> Turn:
        agent = await self.get(who, tenant_id, agent_id)
        knowledge = [(e["question"], e["answer"]) for e in agent["knowledge"]]
        business = await self.business_name(tenant_id)
        dialogue = await asyncio.to_thread(Dialogue, default_embedder(), business, knowledge)
        slots = [s.strip() for s in agent["slots"].splitlines() if s.strip()]
        talk = Conversation(dialogue, dialogue.embedder, business, greeting="", disclosure="",
                            slots=slots, transfer_to=agent["transfer_number"],
                            model=language_model(self.settings, business,
                                                 agent["instructions"], knowledge))  # fmt: skip
        talk.opening()  # the model hears that the disclosure was said, as on a call
        step = Step("")
        async for part in talk.reply(said):  # the business's tools are not called from here
            step = part if isinstance(part, Step) else step
        assert step.turn is not None  # a reply always says its decision
        turn = replace(step.turn, reply=step.turn.reply or step.say)
        if turn.kind == "transfer" and not agent["transfer_number"]:
            # As on a call: a transfer is offered only with someone to put the caller through to.
            return Turn("message", NO_TRANSFER, turn.score)
        return turn
