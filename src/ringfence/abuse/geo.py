"""Offline IP-to-country (geoip2fast ships its data, so nothing is downloaded at run time) and
the client's IP address behind trusted reverse proxies."""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

from starlette.requests import Request


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


def client_ip(request: Request, trusted_proxies: list[str]) -> str:
    peer = request.client.host if request.client else "0.0.0.0"
    return forwarded_ip(peer, request.headers.get("x-forwarded-for", ""), trusted_proxies)


def forwarded_ip(peer: str, forwarded_for: str, trusted_proxies: list[str]) -> str:
    """The peer's address, or the last X-Forwarded-For hop added by a proxy we trust (each proxy
    appends the address it saw, so earlier entries are the client's own claims)."""
    if peer not in trusted_proxies:
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer
