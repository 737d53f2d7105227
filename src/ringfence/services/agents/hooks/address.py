"""Where a business's tools and webhooks may be sent: https, or plain http to a host the
operator named (``agents.hooks_http_hosts``); never to a private, loopback, link-local or
otherwise special address unless the operator allows it (``agents.hooks_private_networks``),
else a business could make this server reach its own network (SSRF).

The name is resolved once and the request goes to the address that was checked (the TLS name
stays the host's), so a name that resolves again to 127.0.0.1 after the check cannot slip
through (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from ringfence.errors import Forbidden, InvalidInput
from ringfence.settings import AgentSettings

MAX_URL = 500


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # with the query


def checked_url(url: str, settings: AgentSettings) -> Target:
    """The URL, if the business may give it (InvalidInput says why not); no lookup yet."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidInput(f"the URL is longer than {MAX_URL} characters")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidInput("give a full URL: https://your-system.example/path")
    if parts.username or parts.password:
        raise InvalidInput("put no user name or password in the URL: requests are signed")
    if parts.scheme == "http" and host not in settings.hooks_http_hosts:
        raise InvalidInput("the URL must be https (the operator allows plain http to no such host)")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput("the URL's port is not a number from 1 to 65535") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    target = Target(url, parts.scheme, host, port, path)
    try:
        _check_ip(ipaddress.ip_address(host), settings)
    except ValueError:
        pass  # a name: checked when it is resolved
    return target


def _check_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, settings: AgentSettings) -> None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if settings.hooks_private_networks:
        if ip.is_multicast or ip.is_unspecified:
            raise Forbidden(f"{ip} is not an address a request can go to")
        return
    if not ip.is_global or ip.is_multicast:
        raise Forbidden(
            "the URL leads to a private or reserved address: only public addresses are "
            "reached (the operator may allow private networks)"
        )


async def resolve(target: Target, settings: AgentSettings) -> str:
    """The checked address the request goes to; Forbidden when any address the name has is
    not allowed."""
    try:
        ip = ipaddress.ip_address(target.host)
        _check_ip(ip, settings)
        return str(ip)
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except OSError:
        raise Forbidden(f"{target.host} does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for found in addresses:
        _check_ip(found, settings)
    return str(addresses[0])
