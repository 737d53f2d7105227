"""The agent's tools on a call. The language model is offered each (``specs``: its name,
description and parameters schema) and calls it with arguments it chose (``run``), checked
against the schema, signed, sent through the outbound checks of ``hooks.client``; what the
business's system answered goes back to the model. For the offline dialogue, a knowledge
entry whose answer holds ``[tool:NAME]`` calls the agent's tool NAME with ``{"said": <the
caller's words>}`` and says what the business's system answered in its place (``step``). A
tool that is late, fails, or is not there any more answers the safe fallback
(``tools.FALLBACK``) and the call goes on. Loaded once when the call starts (``load``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from ringfence.clock import Clock
from ringfence.errors import InvalidInput, RingfenceError
from ringfence.services.agents.dialogue.conversation import Step
from ringfence.services.agents.hooks import secret
from ringfence.services.agents.hooks.tools import FALLBACK, Tools
from ringfence.services.agents.models import AgentTool
from ringfence.settings import AgentSettings
from ringfence.store.database import Database
from ringfence.tenants.scoping import tenant_session

MARK = re.compile(r"\[tool:([a-z][a-z0-9_]{0,63})\]")


@dataclass(frozen=True)
class CallTools:
    tools: Tools
    signing: str | None
    by_name: dict[str, AgentTool] = field(default_factory=dict)
    call_id: str | None = None

    @classmethod
    async def load(
        cls,
        db: Database,
        settings: AgentSettings,
        clock: Clock,
        tenant_id: str,
        agent_id: str,
        call_id: str | None = None,
    ) -> CallTools:
        tools = Tools(settings, clock)
        async with tenant_session(db, tenant_id) as session:
            found = await tools.of(session, agent_id)
            try:
                signing: str | None = await secret.current(session, tenant_id)
            except RingfenceError:
                signing = None
        return cls(tools, signing, {t.name: t for t in found}, call_id)

    def specs(self) -> list[dict[str, Any]]:
        """The tools as OpenAI function declarations (none without a signing secret: a
        request that cannot be signed is not sent)."""
        if self.signing is None:
            return []
        return [
            {"type": "function", "function": {"name": t.name, "description": t.description,
                                              "parameters": json.loads(t.parameters)}}
            for t in self.by_name.values()
        ]  # fmt: skip

    async def run(self, name: str, arguments: dict[str, Any]) -> str:
        """What the tool NAME answered to ``arguments``, or the fallback; InvalidInput when
        the arguments do not fit its schema (or it is gone)."""
        tool = self.by_name.get(name)
        if tool is None or self.signing is None:
            raise InvalidInput(f"the agent has no tool {name}")
        result = await self.tools.call(tool, self.signing, arguments, self.call_id)
        return result.say

    async def step(self, said: str, step: Step) -> Step:
        """``step`` with each ``[tool:NAME]`` replaced by what the tool's answer says."""
        marks = list(MARK.finditer(step.say))
        if not marks:
            return step
        spoken = step.say
        for mark in marks:
            tool = self.by_name.get(mark.group(1))
            say = FALLBACK
            if tool is not None and self.signing is not None:
                try:
                    result = await self.tools.call(tool, self.signing, {"said": said}, self.call_id)
                    say = result.say
                except RingfenceError:  # the caller's words do not fit the tool's schema
                    say = FALLBACK
            spoken = spoken.replace(mark.group(0), say, 1)
        return replace(step, say=spoken)
