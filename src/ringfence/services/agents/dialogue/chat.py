"""A streamed chat completion from any OpenAI-compatible endpoint (vLLM, llama.cpp server,
Ollama, OpenAI): ``POST {base}/chat/completions`` with ``"stream": true``.

The reply is a server-sent event stream (the WHATWG HTML "server-sent events" format): each
event's ``data:`` is one ``chat.completion.chunk`` JSON object, and ``data: [DONE]`` ends it.
A chunk's ``choices[0].delta`` carries a piece of the text (``content``) and/or pieces of tool
calls (``tool_calls``: each with its ``index``; the first piece of a call has its ``id`` and
``function.name``, every piece may add to ``function.arguments``, a JSON text split anywhere).
``finish_reason`` is ``"tool_calls"`` when the model asks for them.

Whatever goes wrong (no answer within ``timeout`` seconds of the request or of the last piece,
an HTTP error, a chunk that is not JSON, an error event, a stream cut short) raises
``ChatFailed``, whose reason names what happened and never what was said.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx

from ringfence.errors import ServiceUnavailable


class ChatFailed(ServiceUnavailable):
    """The model gave no usable reply; ``message`` says why (never what was said)."""


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it (not yet parsed or checked)


@dataclass
class _Calls:
    """Tool calls assembled from their streamed pieces, by index."""

    ids: dict[int, str] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    arguments: dict[int, str] = field(default_factory=dict)

    def add(self, piece: dict[str, Any]) -> None:
        index = int(piece.get("index", 0))
        if piece.get("id"):
            self.ids[index] = str(piece["id"])
        function = piece.get("function") or {}
        if function.get("name"):
            self.names[index] = self.names.get(index, "") + str(function["name"])
        self.arguments[index] = self.arguments.get(index, "") + str(function.get("arguments") or "")

    def done(self) -> list[ToolCall]:
        return [
            ToolCall(self.ids.get(i, f"call_{i}"), self.names.get(i, ""), self.arguments[i])
            for i in sorted(self.arguments)
        ]


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for the process: making one per request costs milliseconds a turn."""
    return ssl.create_default_context()


@dataclass(frozen=True)
class ChatEndpoint:
    base_url: str
    model: str
    api_key: str | None
    timeout: float  # seconds for the first piece, and between pieces

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> AsyncGenerator[str | list[ToolCall], None]:
        """The reply's text in pieces as they come, then its tool calls (a list, maybe empty)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "temperature": 0.3,
        }
        if tools:
            body["tools"] = tools
        headers = {"Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url = self.base_url.rstrip("/") + "/chat/completions"
        calls = _Calls()
        finished = False
        try:
            async with (
                httpx.AsyncClient(timeout=self.timeout, verify=_tls()) as client,
                client.stream("POST", url, json=body, headers=headers) as response,
            ):
                if response.status_code != 200:
                    raise ChatFailed(f"the model answered HTTP {response.status_code}")
                async for data in _events(response):
                    if data == "[DONE]":
                        finished = True
                        break
                    text, finish = _chunk(data, calls)
                    if text:
                        yield text
                    finished = finished or finish
        except httpx.TimeoutException:
            raise ChatFailed(f"no reply from the model within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise ChatFailed(f"could not reach the model ({type(exc).__name__})") from None
        if not finished:
            raise ChatFailed("the model's stream ended before its end")
        yield calls.done()


async def _events(response: httpx.Response) -> AsyncIterator[str]:
    """Each event's data (its ``data:`` lines joined), as the stream delivers it."""
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        # other fields (event:, id:, retry:) and comments (":") carry nothing for us
    if data:
        yield "\n".join(data)


def _chunk(data: str, calls: _Calls) -> tuple[str, bool]:
    """A chunk's text, and whether it finishes the reply; its tool-call pieces go to ``calls``."""
    try:
        chunk = json.loads(data)
    except ValueError:
        raise ChatFailed("the model sent a chunk that is not JSON") from None
    if not isinstance(chunk, dict):
        raise ChatFailed("the model sent a chunk that is not an object")
    if "error" in chunk:
        raise ChatFailed("the model sent an error in its stream")
    choices = chunk.get("choices") or []
    if not choices:
        return "", False  # e.g. a usage chunk
    try:
        choice = choices[0]
        delta = choice.get("delta") or {}
        for piece in delta.get("tool_calls") or []:
            calls.add(piece)
        text = delta.get("content") or ""
        return str(text), bool(choice.get("finish_reason"))
    except (AttributeError, TypeError, ValueError):
        raise ChatFailed("the model sent a chunk of an unknown shape") from None
