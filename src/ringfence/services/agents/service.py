"""What members of a business do with its agents, checked against their role and done in a
session scoped to the business: list, create, change and delete agents, add knowledge, try a
reply. The API and the dashboard pages both go through here."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import NotFound
from ringfence.services.agents.dialogue import Dialogue, Turn
from ringfence.services.agents.models import Agent, KnowledgeEntry
from ringfence.speech.embeddings import default_embedder
from ringfence.store.database import Database
from ringfence.tenants.models import Tenant
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

EDITABLE = ("name", "greeting", "instructions", "language", "voice")


def agent_dict(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "name": agent.name,
        "greeting": agent.greeting,
        "instructions": agent.instructions,
        "language": agent.language,
        "voice": agent.voice,
        "disclosure": agent.disclosure,
    }


async def _agent(session: AsyncSession, agent_id: str) -> Agent:
    agent = await session.get(Agent, agent_id[:32])
    if agent is None:
        raise NotFound("no agent of this business has this id")
    return agent


class Agents:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.tenants = Tenants(db, clock)

    async def business_name(self, tenant_id: str) -> str:
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        return tenant.name if tenant else "this business"

    async def list(self, who: Account, tenant_id: str) -> list[dict[str, Any]]:
        await self.tenants.role(who, tenant_id, "agents.read")
        async with tenant_session(self.db, tenant_id) as session:
            agents = (await session.scalars(select(Agent).order_by(Agent.created_at))).all()
            return [agent_dict(a) for a in agents]

    async def create(self, who: Account, tenant_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        now = self.clock.now()
        business = await self.business_name(tenant_id)
        agent = Agent(
            **{k: v for k, v in fields.items() if k in EDITABLE},
            disclosure=f"You are speaking with an automated assistant for {business}.",
            created_at=now,
            updated_at=now,
        )
        async with tenant_session(self.db, tenant_id) as session:
            session.add(agent)
        return agent_dict(agent)

    async def get(self, who: Account, tenant_id: str, agent_id: str) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.read")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            entries = (
                await session.scalars(
                    select(KnowledgeEntry).where(KnowledgeEntry.agent_id == agent.id)
                )
            ).all()
            return {
                **agent_dict(agent),
                "knowledge": [
                    {"id": e.id, "question": e.question, "answer": e.answer} for e in entries
                ],
            }

    async def update(
        self, who: Account, tenant_id: str, agent_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            for name, value in fields.items():
                if name in EDITABLE:
                    setattr(agent, name, value)
            agent.updated_at = self.clock.now()
            return agent_dict(agent)

    async def delete(self, who: Account, tenant_id: str, agent_id: str) -> None:
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            entries = await session.scalars(
                select(KnowledgeEntry).where(KnowledgeEntry.agent_id == agent.id)
            )
            for entry in entries.all():
                await session.delete(entry)
            await session.delete(agent)

    async def add_knowledge(
        self, who: Account, tenant_id: str, agent_id: str, question: str, answer: str
    ) -> str:
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            entry = KnowledgeEntry(agent_id=agent.id, question=question, answer=answer)
            session.add(entry)
            await session.flush()
            return entry.id

    async def reply(self, who: Account, tenant_id: str, agent_id: str, said: str) -> Turn:
        agent = await self.get(who, tenant_id, agent_id)
        knowledge = [(e["question"], e["answer"]) for e in agent["knowledge"]]
        business = await self.business_name(tenant_id)
        dialogue = await asyncio.to_thread(Dialogue, default_embedder(), business, knowledge)
        return await asyncio.to_thread(dialogue.respond, said)
