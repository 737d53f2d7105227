"""What a business's owner or admin does to connect its systems, checked against their role:
the signing secret (shown once), API keys (``tenants.keys``), webhooks and their delivery log;
and what an agent editor does with an agent's tools. The API and the pages go through here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import NotFound
from ringfence.privacy.core import Privacy
from ringfence.services.agents.hooks import secret, webhooks
from ringfence.services.agents.hooks.tools import ToolResult, Tools, tool_dict
from ringfence.services.agents.models import Agent, Webhook
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.tenants.keys import ApiKeys, Grant, Principal, key_dict
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

MANAGE = "members.manage"  # owner and admin


class Connections:
    def __init__(self, settings: Settings, db: Database, privacy: Privacy, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.privacy = privacy
        self.clock = clock
        self.tenants = Tenants(db, clock)
        self.keys = ApiKeys(db, clock)
        self.tools = Tools(settings.agents, clock)

    # -- the business's ------------------------------------------------------------------------

    async def overview(self, who: Principal, tenant_id: str) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, MANAGE)
        async with tenant_session(self.db, tenant_id) as session:
            has = await secret.has_secret(session, tenant_id)
            hooks = (await session.scalars(select(Webhook).order_by(Webhook.created_at))).all()
            shown = [webhooks.webhook_dict(h) for h in hooks]
        return {
            "signing_secret": has,
            "webhooks": shown,
            "keys": [key_dict(k) for k in await self.keys.of(tenant_id)],
        }

    async def rotate_secret(self, who: Principal, tenant_id: str) -> str:
        await self.tenants.role(who, tenant_id, MANAGE)
        async with tenant_session(self.db, tenant_id) as session:
            made = await secret.rotate(session, tenant_id, self.clock)
        await self._audit(who, tenant_id, "agents.signing_secret.made")
        return made

    async def make_key(
        self, who: Principal, tenant_id: str, name: str, scopes: list[str]
    ) -> tuple[str, dict[str, Any]]:
        await self.tenants.role(who, tenant_id, MANAGE)
        key, row = await self.keys.make(tenant_id, name, scopes)
        await self._audit(who, tenant_id, "agents.api_key.made", key=row.id)
        return key, key_dict(row)

    async def revoke_key(self, who: Principal, tenant_id: str, key_id: str) -> None:
        await self.tenants.role(who, tenant_id, MANAGE)
        await self.keys.revoke(tenant_id, key_id)
        await self._audit(who, tenant_id, "agents.api_key.revoked", key=key_id[:32])

    async def add_webhook(
        self, who: Principal, tenant_id: str, url: str, send_transcript: bool
    ) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, MANAGE)
        async with tenant_session(self.db, tenant_id) as session:
            hook = await webhooks.add(
                session, self.settings, self.clock, tenant_id, url, send_transcript
            )
            return webhooks.webhook_dict(hook)

    async def remove_webhook(self, who: Principal, tenant_id: str, webhook_id: str) -> None:
        await self.tenants.role(who, tenant_id, MANAGE)
        async with tenant_session(self.db, tenant_id) as session:
            await webhooks.remove(session, webhook_id)

    # -- an agent's ----------------------------------------------------------------------------

    async def deliveries(
        self, who: Principal, tenant_id: str, agent_id: str
    ) -> list[dict[str, Any]]:
        await self.tenants.role(who, tenant_id, "calls.read")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            return [webhooks.delivery_dict(d) for d in await webhooks.log_of(session, agent.id)]

    async def list_tools(
        self, who: Principal, tenant_id: str, agent_id: str
    ) -> list[dict[str, Any]]:
        await self.tenants.role(who, tenant_id, "agents.read")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            return [tool_dict(t) for t in await self.tools.of(session, agent.id)]

    async def declare_tool(
        self, who: Principal, tenant_id: str, agent_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            agent = await _agent(session, agent_id)
            return tool_dict(await self.tools.declare(session, agent, fields))

    async def remove_tool(
        self, who: Principal, tenant_id: str, agent_id: str, tool_id: str
    ) -> None:
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            await session.delete(await self.tools.named(session, agent_id[:32], tool_id))

    async def try_tool(
        self, who: Principal, tenant_id: str, agent_id: str, tool_id: str, arguments: dict[str, Any]
    ) -> ToolResult:
        """Call the tool as a call would, with the arguments given: what the agent would say."""
        await self.tenants.role(who, tenant_id, "agents.edit")
        async with tenant_session(self.db, tenant_id) as session:
            tool = await self.tools.named(session, agent_id[:32], tool_id)
            signing = await secret.current(session, tenant_id)
        return await self.tools.call(tool, signing, arguments)

    async def _audit(self, who: Principal, tenant_id: str, action: str, **fields: str) -> None:
        kind, actor = ("api-key", who.key_id) if isinstance(who, Grant) else ("account", who.id)
        async with self.db.session() as session:
            self.privacy.audit.record(
                session, actor_kind=kind, actor_id=actor, action=action, tenant=tenant_id, **fields
            )


async def _agent(session: AsyncSession, agent_id: str) -> Agent:
    agent = await session.get(Agent, agent_id[:32])
    if agent is None:
        raise NotFound("no agent of this business has this id")
    return agent
