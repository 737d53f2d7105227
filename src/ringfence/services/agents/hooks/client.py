"""The one way a business's systems are called: a signed JSON POST to a checked address, with
a timeout, no redirects followed, and the reply's size capped."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from dataclasses import dataclass
from typing import Any

import httpx

from ringfence.clock import Clock
from ringfence.errors import Forbidden, InvalidInput
from ringfence.services.agents.hooks.address import checked_url, resolve
from ringfence.services.agents.hooks.signing import HEADER, signature
from ringfence.settings import AgentSettings

MAX_REPLY = 64 * 1024
USER_AGENT = "ringfence-agents/1"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HookFailed(Exception):
    """The request did not get a reply (refused, timed out, not allowed): ``reason`` says
    which, in words a business's page can show (never the payload)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def post_signed(
    url: str,
    payload: dict[str, Any],
    secret: str,
    *,
    seconds: float,
    settings: AgentSettings,
    clock: Clock,
    headers: dict[str, str] | None = None,
) -> Reply:
    body = json.dumps(payload, separators=(",", ":")).encode()
    try:
        target = checked_url(url, settings)
        address = await resolve(target, settings)
    except (Forbidden, InvalidInput) as exc:
        raise HookFailed(exc.message) from None
    ip = ipaddress.ip_address(address)
    literal = f"[{address}]" if ip.version == 6 else address
    sent = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": target.host if target.port in (80, 443) else f"{target.host}:{target.port}",
        HEADER: signature(secret, int(clock.now().timestamp()), body),
        **(headers or {}),
    }
    request_url = f"{target.scheme}://{literal}:{target.port}{target.path}"
    try:
        async with (
            asyncio.timeout(seconds),  # the whole exchange, not each read
            httpx.AsyncClient(timeout=seconds, follow_redirects=False) as client,
        ):
            request = client.build_request(
                "POST",
                request_url,
                content=body,
                headers=sent,
                extensions={"sni_hostname": target.host},
            )
            response = await client.send(request, stream=True)
            try:
                data = b""
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > MAX_REPLY:
                        raise HookFailed(f"the reply is over {MAX_REPLY // 1024} KiB")
            finally:
                await response.aclose()
    except (httpx.TimeoutException, TimeoutError):
        raise HookFailed(f"no reply within {seconds:g} s") from None
    except httpx.HTTPError as exc:
        raise HookFailed(f"could not connect ({type(exc).__name__})") from None
    return Reply(response.status_code, data)
