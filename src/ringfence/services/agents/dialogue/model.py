"""The dialogue on a language model (any OpenAI-compatible chat endpoint, ``chat``): it writes
the agent's reply, streamed sentence by sentence, and chooses the agent's actions by calling
tools: ``book`` (a free time and the caller's name, confirmed back by the conversation),
``take_message`` (for a named person), ``transfer``, ``opt_out``, ``end_call``, and the
business's own tools (``Tools``), whose answers go back to the model for it to say.

The model is never the only guard. The conversation asks it nothing when the caller asks not to
be called (the offline rules decide an opt-out first) and says the AI disclosure itself, and a
model that fails or answers nonsense (an unknown tool, arguments that do not fit, nothing at
all) raises ``ChatFailed``: the offline dialogue answers that turn and the call goes on.

The model hears the caller's words after ``redact_sensitive`` (card numbers, national ids,
dates of birth), with the business's name, its agent's instructions, its knowledge base and free
times: it is a processor, named in the privacy policy when it is configured.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Protocol

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from ringfence.errors import InvalidInput
from ringfence.redact import redact_sensitive
from ringfence.services.agents.dialogue.chat import ChatEndpoint, ChatFailed, ToolCall
from ringfence.services.agents.dialogue.sentences import Sentences
from ringfence.settings import AgentSettings

ROUNDS = 3  # requests in one turn: the business's tools answered, then the reply
MAX_REPLY = 1500  # characters of one turn's reply: a model that rambles on is cut there
HISTORY = 40  # messages of the call so far that the model is given
_MARK = re.compile(r"\[tool:([a-z][a-z0-9_]{0,63})\]")


class Tools(Protocol):
    """The business's own tools on this call (``hooks.calling``)."""

    def specs(self) -> list[dict[str, Any]]:
        """Each as an OpenAI ``{"type": "function", "function": {...}}`` declaration."""
        ...

    async def run(self, name: str, arguments: dict[str, Any]) -> str:
        """What the tool answered, for the model; InvalidInput when the arguments do not fit."""
        ...


@dataclass(frozen=True)
class Decision:
    """What the model chose to do, after what it said: ``kind`` is answer (it only spoke),
    book, message, transfer, opt_out or end."""

    kind: str
    person: str = ""  # whom a message is for
    message: str = ""  # the message, when the caller already said it
    slot: str = ""
    name: str = ""  # whom a booking is for


def _function(name: str, description: str, properties: dict[str, Any],
              required: list[str]) -> dict[str, Any]:  # fmt: skip
    parameters = {"type": "object", "properties": properties, "required": required,
                  "additionalProperties": False}  # fmt: skip
    declared = {"name": name, "description": description, "parameters": parameters}
    return {"type": "function", "function": declared}


def actions(slots: list[str], transfer: bool) -> list[dict[str, Any]]:
    """The agent's own actions as tools (booking only with free times, a transfer only with
    someone to put the caller through to)."""
    found = [
        _function(
            "take_message",
            "Take a message for the business or for a person the caller names. Give the "
            "message if the caller already said it; else they are asked for it.",
            {
                "for": {"type": "string", "description": "whom the message is for, if named"},
                "message": {"type": "string", "description": "the caller's message, if said"},
            },
            [],
        ),  # fmt: skip
        _function("opt_out", "The caller asks not to be called again.", {}, []),
        _function("end_call", "The caller has what they needed and the call can end.", {}, []),
    ]
    if slots:
        found.insert(0, _function(
            "book",
            "Book one of the free times for the caller, once they chose it and gave their "
            "name; the booking is confirmed with them after.",
            {"slot": {"type": "string", "enum": slots, "description": "the time chosen"},
             "name": {"type": "string", "minLength": 1, "description": "the caller's name"}},
            ["slot", "name"],
        ))  # fmt: skip
    if transfer:
        found.append(_function("transfer", "Put the caller through to a person.", {}, []))
    return found


def _arguments(call: ToolCall, spec: dict[str, Any]) -> dict[str, Any]:
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError:
        raise ChatFailed(f"the model's arguments to {call.name} are not JSON") from None
    if not isinstance(arguments, dict):
        raise ChatFailed(f"the model's arguments to {call.name} are not an object")
    error = best_match(Draft202012Validator(spec["function"]["parameters"]).iter_errors(arguments))
    if error is not None:
        raise ChatFailed(f"the model's arguments do not fit {call.name}")
    return arguments


def _decision(call: ToolCall, arguments: dict[str, Any]) -> Decision:
    if call.name == "book":
        return Decision("book", slot=arguments["slot"], name=" ".join(arguments["name"].split()))
    if call.name == "take_message":
        person = " ".join(str(arguments.get("for", "")).split())
        return Decision("message", person=person, message=str(arguments.get("message", "")).strip())
    return Decision({"opt_out": "opt_out", "end_call": "end", "transfer": "transfer"}[call.name])


@dataclass
class ModelDialogue:
    endpoint: ChatEndpoint
    business: str
    instructions: str
    knowledge: list[tuple[str, str]]
    history: list[dict[str, Any]] = field(default_factory=list)

    def heard(self, said: str, say: str) -> None:
        """A turn of the call, whoever answered it (the model, the offline dialogue, or the
        conversation's own words: the opening, a booking confirmed), for the next turns."""
        if said:
            self.history.append({"role": "user", "content": redact_sensitive(said)})
        if say:
            self.history.append({"role": "assistant", "content": say})
        del self.history[:-HISTORY]

    def system(self, slots: list[str], transfer: bool) -> str:
        named = r"(the tool \1 answers this)"
        entries = "\n".join(f"Q: {q}\nA: {_MARK.sub(named, a)}" for q, a in self.knowledge)
        times = (
            f"The free times to book: {'; '.join(slots)}. To book, agree a time with the "
            "caller and ask their name, then call book."
            if slots
            else "There are no free times to book: offer to take a message."
        )
        person = (
            "To put the caller through to a person, call transfer."
            if transfer
            else "Nobody can be put through now: offer to take a message."
        )
        return (
            f"You answer the phone for {self.business} as its automated assistant; the caller "
            f"has been told so. {self.instructions}\n"
            "Speak as on the phone: one to three short plain sentences, no lists, no markdown. "
            "Answer only from what the business says below or what its tools answer; when "
            "neither holds the answer, say you do not know and offer to take a message. "
            f"Politely decline what is not about {self.business}.\n"
            f"{times} {person} To take a message, call take_message. When the caller asks not "
            "to be called again, call opt_out. When the caller is done, call end_call.\n"
            f"What {self.business} says:\n{entries}"
        )

    async def turn(
        self, said: str, slots: list[str], transfer: bool, tools: Tools | None
    ) -> AsyncGenerator[str | Decision, None]:
        """The reply's sentences as the model writes them, then its ``Decision``; raises
        ``ChatFailed`` for a model that fails or answers nonsense."""
        own = actions(slots, transfer)
        names = {spec["function"]["name"] for spec in own}
        theirs = [s for s in (tools.specs() if tools else []) if s["function"]["name"] not in names]
        specs = {spec["function"]["name"]: spec for spec in own + theirs}
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self.system(slots, transfer)},
            *self.history,
            {"role": "user", "content": redact_sensitive(said)},
        ]
        length = 0
        for _ in range(ROUNDS):
            sentences, text, calls = Sentences(), "", []
            stream = self.endpoint.stream(messages, list(specs.values()))
            async with aclosing(stream):
                async for piece in stream:
                    if isinstance(piece, list):
                        calls = piece
                        continue
                    text += piece
                    length += len(piece)
                    if length > MAX_REPLY:
                        raise ChatFailed(f"the model's reply ran past {MAX_REPLY} characters")
                    for sentence in sentences.feed(piece):
                        yield sentence
            for sentence in sentences.end():
                yield sentence
            if not calls:
                if not text.strip():
                    raise ChatFailed("the model said nothing")
                yield Decision("answer")
                return
            for call in calls:
                if call.name not in specs:
                    raise ChatFailed("the model called a tool the agent does not have")
            acting = [c for c in calls if c.name in names]
            if acting:  # an action ends the turn (any business tool asked beside it is not run)
                yield _decision(acting[0], _arguments(acting[0], specs[acting[0].name]))
                return
            assert tools is not None  # a business tool was called: the agent has tools
            messages.append({"role": "assistant", "content": text or None, "tool_calls": [
                {"id": c.id, "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments}} for c in calls
            ]})  # fmt: skip
            for call in calls:
                arguments = _arguments(call, specs[call.name])
                try:
                    answer = await tools.run(call.name, arguments)
                except InvalidInput:
                    raise ChatFailed(f"the model's arguments do not fit {call.name}") from None
                messages.append({"role": "tool", "tool_call_id": call.id, "content": answer})
        raise ChatFailed(f"the model called tools more than {ROUNDS - 1} times in a turn")


def language_model(
    settings: AgentSettings, business: str, instructions: str, knowledge: list[tuple[str, str]]
) -> ModelDialogue | None:
    """The language model a conversation uses, when the operator set one (``llm_url``)."""
    if not settings.llm_url:
        return None
    key = settings.llm_key or settings.api_key
    endpoint = ChatEndpoint(settings.llm_url, settings.llm_model,
                            key.get_secret_value() if key else None,
                            settings.llm_timeout_seconds)  # fmt: skip
    return ModelDialogue(endpoint, business, instructions, knowledge)
