"""A local OpenAI-compatible chat server that answers what a test scripts, over real HTTP on
loopback: ``POST /v1/chat/completions``, streamed (``"stream": true``: ``text/event-stream``,
one ``chat.completion.chunk`` per ``data:`` event, ``data: [DONE]`` last, chunked transfer
encoding as vLLM and llama.cpp's server send it) or not. A reply's text is sent a word at a
time and its tool calls in fragments (the first with the call's ``index``, ``id`` and
``function.name``, the rest adding pieces of ``function.arguments``), ``finish_reason``
``"tool_calls"``, each chunk ``delay`` seconds after the last: what a client of a real model
has to put together. It runs in its own thread, so a test's event loop being busy (or
blocked) does not slow the model, and the bench (``bench/llm_stream.py``) uses it too.

Each request takes the next scripted ``Reply``; a request with none left is answered 500. The
requests are kept (``requests``: the body and the headers) for a test to read what was sent.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_WORDS = re.compile(r"\s*\S+")
FRAGMENT = 7  # characters of a tool call's arguments per chunk


@dataclass(frozen=True)
class Reply:
    """What the model answers to one request."""

    text: str = ""
    # (name, arguments): a dict is sent as its JSON, a str as it is (JSON or not)
    tool_calls: tuple[tuple[str, dict[str, Any] | str], ...] = ()
    delay: float = 0.0  # seconds between chunks (a model writing)
    first_delay: float = 0.0  # seconds before the first chunk (reading the prompt; or hung)
    status: int = 200
    raw: str | None = None  # this as the stream's only event's data instead (garbage)
    cut: bool = False  # the connection closes after the text, without an end


@dataclass
class Request:
    body: dict[str, Any]
    headers: dict[str, str]
    at: float  # time.monotonic() when it came
    chunks_sent_at: list[float] = field(default_factory=list)
    ended: threading.Event = field(default_factory=threading.Event)  # answered, or cut off
    hung_up: bool = False  # the client closed the connection before the reply's end


class ChatServer:
    def __init__(self) -> None:
        self._replies: deque[Reply] = deque()
        self.requests: list[Request] = []
        self._lock = threading.Condition()
        self.closing = threading.Event()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self.base = f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        """The next requests' replies, in order."""
        with self._lock:
            self._replies.extend(replies)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Request]:
        """Block until ``count`` requests came (a test's thread, or ``asyncio.to_thread``)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"{len(self.requests)} of {count} requests came")
            return list(self.requests)

    def _take(self, request: Request) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()
            return self._replies.popleft() if self._replies else None


def _chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "scripted",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _arguments(arguments: dict[str, Any] | str) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def _stream(reply: Reply) -> Iterator[dict[str, Any] | str]:
    """The reply's events: chunks, then ``[DONE]``."""
    yield _chunk(0, {"role": "assistant", "content": ""})
    for word in _WORDS.findall(reply.text):
        yield _chunk(0, {"content": word})
    if reply.cut:
        return
    for index, (name, arguments) in enumerate(reply.tool_calls):
        call_id = f"call_{index}_{name}"
        first = {"index": index, "id": call_id, "type": "function",
                 "function": {"name": name, "arguments": ""}}  # fmt: skip
        yield _chunk(0, {"tool_calls": [first]})
        text = _arguments(arguments)
        for at in range(0, len(text), FRAGMENT):
            piece = {"index": index, "function": {"arguments": text[at : at + FRAGMENT]}}
            yield _chunk(0, {"tool_calls": [piece]})
    yield _chunk(0, {}, "tool_calls" if reply.tool_calls else "stop")
    yield "[DONE]"


def _whole(reply: Reply) -> dict[str, Any]:
    calls = [
        {"id": f"call_{i}_{name}", "type": "function",
         "function": {"name": name, "arguments": _arguments(arguments)}}
        for i, (name, arguments) in enumerate(reply.tool_calls)
    ]  # fmt: skip
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if calls:
        message["tool_calls"] = calls
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "scripted",
        "choices": [{"index": 0, "message": message,
                     "finish_reason": "tool_calls" if calls else "stop"}],
    }  # fmt: skip


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a test's output is not the place for access lines."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length))
            except ValueError:
                self._json(400, {"error": {"message": "the body is not JSON"}})
                return
            if self.path != "/v1/chat/completions":
                self._json(404, {"error": {"message": f"no {self.path} here"}})
                return
            request = Request(body, dict(self.headers.items()), time.monotonic())
            reply = server._take(request)
            if reply is None:
                self._json(500, {"error": {"message": "no reply was scripted"}})
                return
            if reply.first_delay and server.closing.wait(reply.first_delay):
                return
            if reply.status != 200:
                self._json(reply.status, {"error": {"message": "scripted failure"}})
            elif body.get("stream"):
                self._stream(reply, request)
            else:
                self._json(200, _whole(reply))

        def _json(self, status: int, data: dict[str, Any]) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, reply: Reply, request: Request) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            events = [reply.raw] if reply.raw is not None else list(_stream(reply))
            try:
                for i, event in enumerate(events):
                    if i and reply.delay and server.closing.wait(reply.delay):
                        return
                    data = event if isinstance(event, str) else json.dumps(event)
                    self._send(f"data: {data}\n\n".encode())
                    request.chunks_sent_at.append(time.monotonic())
                if not reply.cut:
                    self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                request.hung_up = True  # the client stopped listening (the caller spoke)
            finally:
                request.ended.set()
            self.close_connection = True

        def _send(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


@contextmanager
def chat_server() -> Iterator[ChatServer]:
    """A running ``ChatServer`` on a free loopback port, stopped after."""
    server = ChatServer()
    thread = threading.Thread(target=server._http.serve_forever, name="openai-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.closing.set()
        server._http.shutdown()
        server._http.server_close()
        thread.join()
