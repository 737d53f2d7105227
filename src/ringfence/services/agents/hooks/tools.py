"""An agent's tools: HTTP endpoints of the business's own systems, declared with a name, a
description and their parameters as a JSON Schema (draft 2020-12, an object), that the agent
calls during a call (check a slot, make a booking).

A call posts ``{"tool", "agent_id", "call_id", "arguments"}``, signed, and waits at most the
tool's timeout. The business answers ``{"say": "..."}``: what the agent says next. A reply
that is late, not 2xx, not JSON or has nothing to say gives the caller a safe fallback
(``FALLBACK``) instead, and the call goes on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError, best_match
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import Conflict, InvalidInput, NotFound
from ringfence.logging import get_logger
from ringfence.services.agents.hooks.address import checked_url
from ringfence.services.agents.hooks.client import HookFailed, post_signed
from ringfence.services.agents.hooks.secret import current
from ringfence.services.agents.models import Agent, AgentTool
from ringfence.settings import AgentSettings

log = get_logger(__name__)
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TOOLS = 20
MAX_SCHEMA = 20_000
FALLBACK = "I can't check that right now, sorry. I can take a message for the team instead."


@dataclass(frozen=True)
class ToolResult:
    say: str  # what the agent says: the business's answer, or the fallback
    ok: bool
    error: str = ""  # why the fallback was said


def tool_dict(tool: AgentTool) -> dict[str, Any]:
    return {
        "id": tool.id,
        "name": tool.name,
        "description": tool.description,
        "url": tool.url,
        "parameters": json.loads(tool.parameters),
        "timeout_seconds": tool.timeout_seconds,
    }


def _where(error: ValidationError | SchemaError) -> str:
    path = "/".join(str(p) for p in error.absolute_path)
    return f" (at {path})" if path else ""


def checked_schema(parameters: dict[str, Any]) -> str:
    """The parameters schema as stored JSON; InvalidInput says what is wrong with it."""
    text = json.dumps(parameters, separators=(",", ":"))
    if len(text) > MAX_SCHEMA:
        raise InvalidInput(f"the parameters schema is over {MAX_SCHEMA} characters")
    try:
        Draft202012Validator.check_schema(parameters)
    except SchemaError as exc:
        raise InvalidInput(
            f"the parameters are not a valid JSON Schema: {exc.message}{_where(exc)}"
        ) from None
    if parameters.get("type") != "object":
        raise InvalidInput('the parameters schema must be an object: {"type": "object", ...}')
    return text


def checked_arguments(tool: AgentTool, arguments: dict[str, Any]) -> None:
    error = best_match(Draft202012Validator(json.loads(tool.parameters)).iter_errors(arguments))
    if error is not None:
        raise InvalidInput(f"the arguments do not fit {tool.name}: {error.message}{_where(error)}")


class Tools:
    def __init__(self, settings: AgentSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    async def declare(
        self, session: AsyncSession, agent: Agent, fields: dict[str, Any]
    ) -> AgentTool:
        name = str(fields.get("name", ""))
        if not NAME.match(name):
            raise InvalidInput("a tool's name is 1 to 64 of a-z, 0-9 and _, starting with a letter")
        description = " ".join(str(fields.get("description", "")).split())
        if not description or len(description) > 500:
            raise InvalidInput("describe what the tool does, in at most 500 characters")
        checked_url(str(fields.get("url", "")), self.settings)
        timeout = float(fields.get("timeout_seconds", 4.0))
        if not 0.5 <= timeout <= 10:
            raise InvalidInput("a tool's timeout is 0.5 to 10 seconds: the caller is waiting")
        parameters = checked_schema(fields.get("parameters") or {})
        await current(session, agent.tenant_id)  # a tool is signed: a secret must exist
        tools = (
            await session.scalars(select(AgentTool).where(AgentTool.agent_id == agent.id))
        ).all()
        if any(t.name == name for t in tools):
            raise Conflict(f"this agent already has a tool named {name}")
        if len(tools) >= MAX_TOOLS:
            raise InvalidInput(f"an agent has at most {MAX_TOOLS} tools")
        tool = AgentTool(
            agent_id=agent.id,
            name=name,
            description=description,
            url=str(fields["url"]).strip(),
            parameters=parameters,
            timeout_seconds=timeout,
            created_at=self.clock.now(),
        )
        session.add(tool)
        await session.flush()
        return tool

    async def of(self, session: AsyncSession, agent_id: str) -> list[AgentTool]:
        found = await session.scalars(
            select(AgentTool).where(AgentTool.agent_id == agent_id).order_by(AgentTool.name)
        )
        return list(found.all())

    async def named(self, session: AsyncSession, agent_id: str, tool_id: str) -> AgentTool:
        tool = await session.get(AgentTool, tool_id[:32])
        if tool is None or tool.agent_id != agent_id:
            raise NotFound("this agent has no tool with this id")
        return tool

    async def call(
        self,
        tool: AgentTool,
        secret: str,
        arguments: dict[str, Any],
        call_id: str | None = None,
    ) -> ToolResult:
        """Call the tool (arguments checked against its schema first) signed with the
        business's ``secret``: what the agent says. No session is held while it waits."""
        checked_arguments(tool, arguments)
        payload = {"tool": tool.name, "agent_id": tool.agent_id, "call_id": call_id,
                   "arguments": arguments}  # fmt: skip
        try:
            reply = await post_signed(
                tool.url,
                payload,
                secret,
                seconds=tool.timeout_seconds,
                settings=self.settings,
                clock=self.clock,
            )
        except HookFailed as exc:
            log.info("agent_tool_failed", tool=tool.id, reason=exc.reason)
            return ToolResult(FALLBACK, False, exc.reason)
        if not 200 <= reply.status < 300:
            return ToolResult(FALLBACK, False, f"the tool answered HTTP {reply.status}")
        try:
            said = reply.json().get("say")
        except (ValueError, AttributeError):
            said = None
        if not isinstance(said, str) or not said.strip():
            return ToolResult(FALLBACK, False, 'the reply has no "say" text')
        return ToolResult(" ".join(said.split())[:1000], True)
