"""Who a client is, decided once from the connection (ASGI scope): attacked through a real
``ringfence serve`` from two loopback source addresses (127.0.0.1 and 127.0.0.2) with no trusted
proxies, so every X-Forwarded-For header is an attacker's claim."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import socketio

from tests.support.captcha import solved
from tests.support.server import free_port, running_server
from tests.support.sipp import free_rtp_range, sipp_peer

pytestmark = pytest.mark.integration


class Person:
    """A roulette page's Socket.IO connection from a chosen loopback source address."""

    def __init__(self, base: str, source: str, headers: dict[str, str] | None = None) -> None:
        self.base, self.source, self.headers = base, source, headers or {}
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
        )
        self.client = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.events: dict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
        for name in ("welcome", "waiting", "matched", "banned", "connect_error"):
            self.client.on(name, self._collect(name))

    def _collect(self, name: str) -> Any:
        async def handler(data: Any = None) -> None:
            self.events[name].put_nowait(data)

        return handler

    async def connect(self) -> None:
        await self.client.connect(self.base, transports=["websocket"], headers=self.headers)

    async def next(self, name: str) -> Any:
        return await asyncio.wait_for(self.events[name].get(), 20)

    async def join(self) -> Any:
        return await self.client.call("join", {"adult": True}, timeout=20)

    async def close(self) -> None:
        await self.client.disconnect()
        await self.http.close()


@asynccontextmanager
async def person(
    base: str, source: str, headers: dict[str, str] | None = None
) -> AsyncIterator[Person]:
    found = Person(base, source, headers)
    try:
        yield found
    finally:
        await found.close()


async def test_a_roulette_report_bans_only_the_reported_address(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as base:
        async with person(base, "127.0.0.1") as reporter, person(base, "127.0.0.2") as reported:
            await reporter.connect()
            await reported.connect()
            assert (await reporter.join())["state"] == "waiting"
            assert (await reported.join())["state"] == "matched"
            await reporter.next("matched")
            assert await reporter.client.call("report", {"reason": "spam"}, timeout=20) == {
                "ok": True,
                "state": "reported",
                "ban_days": 30,
            }
            assert "until" in await reported.next("banned")

        # The reported address is refused, even when it claims to be someone else.
        for headers in ({}, {"X-Forwarded-For": "127.0.0.1"}):
            async with person(base, "127.0.0.2", headers) as again:
                with pytest.raises(socketio.exceptions.ConnectionError):
                    await again.connect()
                assert "you were reported" in str(await again.next("connect_error"))
        # The reporter, on another address, carries on.
        async with person(base, "127.0.0.1") as reporter:
            await reporter.connect()
            assert (await reporter.join())["state"] == "waiting"


async def _ring(
    client: httpx.AsyncClient, number: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = {"number": number, "country": "US", "captcha": await solved(client)}
    return await client.post("/api/ring", json=body, headers=headers)


async def test_a_forwarded_header_does_not_escape_the_per_address_limit(tmp_path: Path) -> None:
    """ring allows one ring per address a day here; a second ask, as a new visitor claiming to
    forward for another address, is counted against the real one (and the access log names the
    real one too: whole, as the operator opted into raw addresses)."""
    low, high = free_rtp_range()
    log_file = tmp_path / "logs" / "access.log"
    async with sipp_peer("uas_reject", fill={"status": "486"}, calls=1) as busy:
        carriers = [{"name": "sipp", "host": "127.0.0.1", "port": busy.port}]
        env = {
            "RINGFENCE_TELEPHONY__ENABLED": "true",
            "RINGFENCE_TELEPHONY__SIP_PORT": str(free_port()),
            "RINGFENCE_TELEPHONY__RTP_PORT_MIN": str(low),
            "RINGFENCE_TELEPHONY__RTP_PORT_MAX": str(high),
            "RINGFENCE_TELEPHONY__CARRIERS": json.dumps(carriers),
            "RINGFENCE_CAPTCHA__MAX_NUMBER": "1000",
            "RINGFENCE_RING__PER_IP_PER_DAY": "1",
            "RINGFENCE_RING__RING_TIME": "5",
            "RINGFENCE_LOG__ACCESS_FILE": str(log_file),
            "RINGFENCE_LOG__CLIENT_IP": "raw",
        }
        with running_server(tmp_path / "data", **env) as base:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                first = await _ring(client, "+1 201 555 0123")
                assert first.status_code == 202, first.text
                client.cookies.clear()  # a new anonymous visitor, the same address
                spoofed = {"X-Forwarded-For": "203.0.113.9"}
                second = await _ring(client, "+1 201 555 0124", spoofed)
            assert second.status_code == 429, second.text
            assert "1 rings have been asked from your network today" in second.text
    access = [
        json.loads(line)["event"]
        for line in log_file.read_text().splitlines()
        if '"uvicorn.access"' in line
    ]
    rings = [line for line in access if '"POST /api/ring ' in line]
    assert len(rings) == 2 and all(line.startswith("127.0.0.1:") for line in rings), rings
    assert not any("203.0.113.9" in line for line in access)
