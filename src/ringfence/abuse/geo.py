"""Offline IP-to-country (geoip2fast ships its data, so nothing is downloaded at run time) and
the client's IP address behind trusted reverse proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any


@cache
def _geoip() -> Any:
    from geoip2fast import GeoIP2Fast  # loads its bundled table (~0.1 s) on first use

    return GeoIP2Fast()


def country_for_ip(ip: str) -> str | None:
    """ISO code of the country an address is registered in; None for private, loopback and
    unknown addresses."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if not address.is_global:
        return None
    code = str(_geoip().lookup(str(address)).country_code or "")
    return code if len(code) == 2 and code.isalpha() else None


def client_ip(scope: Mapping[str, Any], trusted_proxies: Sequence[str]) -> str:
    """The client's address for an ASGI connection scope (HTTP, WebSocket, or the scope
    python-engineio hands Socket.IO in ``environ["asgi.scope"]``): the peer the server accepted
    the connection from, or, when that peer is a trusted proxy, the client it forwarded for.

    This is the one place that decides who a client is; ``ringfence serve`` gives uvicorn the
    same ``trusted_proxies`` as its ``forwarded_allow_ips``, so its access log agrees."""
    client = scope.get("client")
    peer = str(client[0]) if client else "0.0.0.0"
    forwarded = b", ".join(
        value for name, value in scope.get("headers") or () if name.lower() == b"x-forwarded-for"
    )
    return forwarded_ip(peer, forwarded.decode("latin-1"), trusted_proxies)


def _trusted(address: str, trusted_proxies: Sequence[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted_proxies:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def forwarded_ip(peer: str, forwarded_for: str, trusted_proxies: Sequence[str]) -> str:
    """The peer's address, or the last X-Forwarded-For hop added by a proxy we trust (each proxy
    appends the address it saw, so earlier entries are the client's own claims). Proxies are
    addresses or networks (``10.0.0.0/8``); with none, the header is never read."""
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer
