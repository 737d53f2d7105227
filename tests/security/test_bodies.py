"""Bodies a real ``ringfence serve`` must not read or store: one larger than the cap (by its
``Content-Length`` or chunked), and text with control characters, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from ringfence.accounts.models import Account
from ringfence.privacy.models import ConsentRecord
from ringfence.store import Database
from tests.conftest import ENGINES
from tests.support.server import running_server
from tests.support.stripe import SECRET, event, sign

pytestmark = pytest.mark.integration

HUNDRED_MB = 100 * 1024 * 1024


@pytest.fixture
def server(tmp_path: Path, empty_database_url: str) -> Iterator[str]:
    with running_server(
        tmp_path / "data",
        RINGFENCE_DATABASE_URL=empty_database_url,
        RINGFENCE_BILLING__STRIPE_WEBHOOK_SECRET=SECRET,
    ) as base:
        yield base


async def _open(base: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    address = urlsplit(base)
    return await asyncio.open_connection(address.hostname, address.port)


def _head(base: str, path: str, *headers: str) -> bytes:
    host = urlsplit(base).netloc
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _response(reader: asyncio.StreamReader) -> tuple[int, dict[str, object]]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return status, json.loads(await reader.readexactly(length))


async def test_a_100_mb_content_length_is_refused_before_the_body_is_sent(server: str) -> None:
    reader, writer = await _open(server)
    try:
        writer.write(_head(server, "/privacy/consent", f"Content-Length: {HUNDRED_MB}"))
        await writer.drain()
        # Not a byte of the body is sent: the answer can only come from the length. (Without
        # the cap the server would wait for the body forever: bounded, generously, to fail.)
        async with asyncio.timeout(60):
            status, body = await _response(reader)
    finally:
        writer.close()
    assert status == 413 and body["error"]["code"] == "too_large", body
    assert "64 KiB" in body["error"]["message"]


async def test_a_chunked_body_is_cut_at_the_cap_while_it_streams(server: str) -> None:
    reader, writer = await _open(server)
    chunk = b"x" * 16384
    try:
        writer.write(_head(server, "/privacy/consent", "Transfer-Encoding: chunked"))
        # A chunk past the 64 KiB cap, and the body left open: no last chunk follows. The server
        # must answer from what it counted; without the cap it would wait for the end forever
        # (bounded, generously, to fail). Sending no more than it reads keeps its close clean:
        # bytes left unread when it closes would reset the connection and lose the answer.
        for _ in range(5):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
        async with asyncio.timeout(60):
            status, body = await _response(reader)
    finally:
        writer.close()
    assert status == 413 and body["error"]["code"] == "too_large", body


def test_upload_routes_have_their_own_larger_cap(server: str) -> None:
    padding = "p" * 100_000  # over the 64 KiB default, under the upload cap
    payload = event("customer.created", {"id": "cus_1", "description": padding})
    with httpx.Client(base_url=server) as client:
        webhook = client.post(
            "/api/billing/stripe/webhook",
            content=payload,
            headers={"Stripe-Signature": sign(payload), "Content-Type": "application/json"},
        )
        assert webhook.status_code == 200 and webhook.json() == {"result": "ignored"}
        form = client.post("/privacy/consent", json={"choices": {}, "method": padding})
        assert form.status_code == 413 and form.json()["error"]["code"] == "too_large"


async def _count(database_url: str, model: type[object]) -> int:
    db = Database(database_url)
    try:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await db.dispose()


@ENGINES
async def test_control_characters_are_refused_naming_the_field_and_nothing_is_stored(
    server: str, empty_database_url: str
) -> None:
    async with httpx.AsyncClient(base_url=server) as client:
        surrogate = b'{"choices": {}, "service": "x\\ud800"}'  # a lone surrogate, escaped
        refusals = [
            ("service", "POST", "/privacy/consent",
             {"json": {"choices": {}, "service": "plat\u0000form"}}),
            ("choices", "POST", "/privacy/consent",
             {"json": {"choices": {"pre\u0000ferences": True}}}),
            ("service", "POST", "/privacy/consent",
             {"content": surrogate, "headers": {"Content-Type": "application/json"}}),
            ("number", "POST", "/api/ring/check", {"json": {"number": "+4420\u0001"}}),
            ("token", "GET", "/account/verify", {"params": {"token": "a\u0000b"}}),
            ("path", "GET", "/privacy/requests/r%00/receipt", {}),
        ]  # fmt: skip
        for field, method, path, sent in refusals:
            response = await client.request(method, path, **sent)
            assert response.status_code == 422, (field, response.text)
            message = response.json()["error"]["message"]
            assert field in message and "control character" in message, message
        assert await _count(empty_database_url, ConsentRecord) == 0
        page = await client.get("/account/signup")
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        form = {"csrf": csrf, "email": "ada\u0000@example.org", "password": "x" * 12,
                "adult": "true", "terms": "true"}  # fmt: skip
        signup = await client.post("/account/signup", data=form)
        assert signup.status_code == 422 and "email" in signup.json()["error"]["message"]
        assert await _count(empty_database_url, Account) == 0
        # Tab, newline and carriage return are text, and pass.
        choices = {"choices": {"preferences": True}, "service": "a\tb"}
        fine = await client.post("/privacy/consent", json=choices)
        assert fine.status_code == 200, fine.text
    assert await _count(empty_database_url, ConsentRecord) > 0


async def test_a_browser_is_refused_with_a_page_and_a_program_with_json(server: str) -> None:
    """The edge's refusals answer before the app, but in the app's words: a page for a browser's
    navigation, JSON for a program; the connection of a too-large body is closed."""
    page = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    async with httpx.AsyncClient(base_url=server) as client:
        token = await client.get("/account/verify", params={"token": "a\u0000b"}, headers=page)
        assert token.status_code == 422
        assert token.headers["content-type"].startswith("text/html")
        assert "control character" in token.text and "<h1" in token.text
        assert "default-src" in token.headers["content-security-policy"]
        big = {**page, "Content-Type": "application/x-www-form-urlencoded"}
        # Just over the 64 KiB cap: refused on its Content-Length, small enough that the socket
        # takes it whole before the server closes (a larger body races the close: a reset).
        large = await client.post("/account/signup", content=b"x" * (64 * 1024 + 1), headers=big)
        assert large.status_code == 413 and large.headers["connection"] == "close"
        assert large.headers["content-type"].startswith("text/html")
        assert "That is too large" in large.text
        api = await client.get("/account/verify", params={"token": "a\u0000b"})
        assert api.status_code == 422 and "control character" in api.json()["error"]["message"]
