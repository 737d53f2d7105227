"""HTTP edge of a business's connections (``services.agents.hooks.service``): its signing
secret and API keys (each shown once), its post-call webhooks and their delivery log, and an
agent's tools (declared with a JSON Schema; tried as a call would call them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ringfence.services.agents.web.deps import ConnectionsDep, MemberDep

router = APIRouter(tags=["agents"])
TENANT = "/api/tenants/{tenant_id}"
AGENT = TENANT + "/agents/{agent_id}"


class KeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    scopes: list[str] = Field(
        max_length=10, description="Any of agents:read, agents:write, calls:read."
    )


class WebhookIn(BaseModel):
    url: str = Field(max_length=500, description="https://, where call.ended events are posted.")
    send_transcript: bool = Field(False, description="Include the call's transcript.")


class ToolIn(BaseModel):
    name: str = Field(max_length=64, description="a-z, 0-9 and _: how the dialogue calls it.")
    description: str = Field(max_length=500, description="What it does, for the dialogue.")
    url: str = Field(max_length=500, description="https://, where the call is posted (signed).")
    parameters: dict[str, Any] = Field(description="A JSON Schema (draft 2020-12) object.")
    timeout_seconds: float = Field(4.0, description="0.5 to 10: the caller is waiting.")


class ArgumentsIn(BaseModel):
    arguments: dict[str, Any] = Field(default_factory=dict)


@router.get(TENANT + "/connections")
async def connections(links: ConnectionsDep, who: MemberDep, tenant_id: str) -> dict[str, Any]:
    """Whether the business has a signing secret, its webhooks and its API keys (owner, admin)."""
    return await links.overview(who, tenant_id)


@router.post(TENANT + "/signing-secret", status_code=201)
async def signing_secret(links: ConnectionsDep, who: MemberDep, tenant_id: str) -> dict[str, str]:
    """A new signing secret, shown this once (it replaces the one before at once)."""
    return {"secret": await links.rotate_secret(who, tenant_id)}


@router.post(TENANT + "/api-keys", status_code=201)
async def make_key(
    links: ConnectionsDep, who: MemberDep, tenant_id: str, body: KeyIn
) -> dict[str, Any]:
    """A new API key for the business's systems, shown this once (only its hash is kept)."""
    key, row = await links.make_key(who, tenant_id, body.name, body.scopes)
    return {**row, "key": key}


@router.delete(TENANT + "/api-keys/{key_id}")
async def revoke_key(
    links: ConnectionsDep, who: MemberDep, tenant_id: str, key_id: str
) -> dict[str, bool]:
    await links.revoke_key(who, tenant_id, key_id)
    return {"revoked": True}


@router.post(TENANT + "/webhooks", status_code=201)
async def add_webhook(
    links: ConnectionsDep, who: MemberDep, tenant_id: str, body: WebhookIn
) -> dict[str, Any]:
    return await links.add_webhook(who, tenant_id, body.url, body.send_transcript)


@router.delete(TENANT + "/webhooks/{webhook_id}")
async def remove_webhook(
    links: ConnectionsDep, who: MemberDep, tenant_id: str, webhook_id: str
) -> dict[str, bool]:
    await links.remove_webhook(who, tenant_id, webhook_id)
    return {"deleted": True}


@router.get(AGENT + "/webhook-deliveries")
async def deliveries(
    links: ConnectionsDep, who: MemberDep, tenant_id: str, agent_id: str
) -> dict[str, Any]:
    """The post-call webhooks sent for this agent's calls, newest first (calls.read)."""
    return {"deliveries": await links.deliveries(who, tenant_id, agent_id)}


@router.get(AGENT + "/tools")
async def tools(
    links: ConnectionsDep, who: MemberDep, tenant_id: str, agent_id: str
) -> dict[str, Any]:
    return {"tools": await links.list_tools(who, tenant_id, agent_id)}


@router.post(AGENT + "/tools", status_code=201)
async def declare_tool(
    links: ConnectionsDep, who: MemberDep, tenant_id: str, agent_id: str, body: ToolIn
) -> dict[str, Any]:
    """Declare a tool; a parameters schema that is not valid JSON Schema is refused (422)."""
    return await links.declare_tool(who, tenant_id, agent_id, body.model_dump())


@router.delete(AGENT + "/tools/{tool_id}")
async def remove_tool(
    links: ConnectionsDep, who: MemberDep, tenant_id: str, agent_id: str, tool_id: str
) -> dict[str, bool]:
    await links.remove_tool(who, tenant_id, agent_id, tool_id)
    return {"deleted": True}


@router.post(AGENT + "/tools/{tool_id}/try")
async def try_tool(
    links: ConnectionsDep,
    who: MemberDep,
    tenant_id: str,
    agent_id: str,
    tool_id: str,
    body: ArgumentsIn,
) -> dict[str, Any]:
    """Call the tool as a call would: what the agent would say (``ok`` false: the fallback,
    and ``error`` says why)."""
    result = await links.try_tool(who, tenant_id, agent_id, tool_id, body.arguments)
    return {"say": result.say, "ok": result.ok, "error": result.error}
