"""The hosted dialogue step against a local OpenAI-compatible endpoint: what it sends (the
knowledge, the instructions, the caller's words with card numbers removed), how its JSON answer
becomes a turn, and the offline step answering when the service fails."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from ringfence.services.agents.dialogue.hosted import HostedDialogue
from ringfence.services.agents.dialogue.offline import Dialogue
from ringfence.speech.embeddings import default_embedder
from tests.support.endpoint import local_endpoint

pytestmark = pytest.mark.integration
KNOWLEDGE = [("What are your opening hours?", "We are open from 9 am to 5 pm.")]


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def complete(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append({"auth": request.headers.get("Authorization"), **body})
        if body["model"] == "broken":
            return web.json_response({"error": "overloaded"}, status=503)
        answer = {"action": "message", "reply": "Sure, what is your message?"}
        if body["model"] == "rambling":
            answer = {"action": "sing", "reply": "La la la"}
        content = json.dumps(answer)
        return web.json_response({"choices": [{"message": {"content": content}}]})

    async with local_endpoint("/chat/completions", complete) as base:
        yield base, seen


def _dialogue(url: str, model: str) -> HostedDialogue:
    offline = Dialogue(default_embedder(), "Cutting Edge", KNOWLEDGE)
    return HostedDialogue(url, model, "sk-test", "Cutting Edge", "Be brief.", offline)


async def test_the_hosted_model_decides_and_never_sees_a_card_number(
    endpoint: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = endpoint
    said = "Take a message: my card is 4111 1111 1111 1111, call me back"
    turn = await asyncio.to_thread(_dialogue(url, "gpt-test").respond, said)
    assert (turn.kind, turn.reply) == ("message", "Sure, what is your message?")
    sent = seen[0]
    assert sent["auth"] == "Bearer sk-test" and sent["model"] == "gpt-test"
    system, user = sent["messages"]
    assert (
        "Cutting Edge" in system["content"]
        and "We are open from 9 am to 5 pm." in system["content"]
        and "Be brief." in system["content"]
    )
    assert "4111" not in user["content"] and "[card number]" in user["content"]


async def test_the_offline_step_answers_when_the_service_fails_or_rambles(
    endpoint: tuple[str, list[dict[str, Any]]],
) -> None:
    url, _ = endpoint
    for model in ("broken", "rambling"):
        turn = await asyncio.to_thread(_dialogue(url, model).respond, "when are you open")
        assert (turn.kind, turn.reply) == ("answer", "We are open from 9 am to 5 pm.")
