"""ICE servers for the page: STUN, and TURN with coturn's short-lived credentials.

coturn's ``use-auth-secret`` mode (the "TURN REST API"): the username is the expiry time and a
random tag, the password the base64 HMAC-SHA1 of the username under the secret both share, so
coturn checks passwords without a user database and a leaked one stops working at expiry.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from ringfence.services.roulette.turnserver import Turn
from ringfence.settings import RouletteSettings


def turn_credentials(secret: str, ttl: int, now: float) -> tuple[str, str]:
    """coturn's use-auth-secret credentials: ``<expiry>:<random>`` and its HMAC-SHA1."""
    expiry = int(now) + ttl
    username = f"{expiry}:{secrets.token_hex(6)}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_config(settings: RouletteSettings, turn: Turn | None, now: dt.datetime) -> dict[str, Any]:
    """What RTCPeerConnection needs: its ICE servers and, with a TURN relay, the relay only
    (``iceTransportPolicy: "relay"``: no host or server-reflexive candidate is ever gathered,
    so neither browser learns the other's address)."""
    servers: list[dict[str, Any]] = []
    if settings.stun_urls:
        servers.append({"urls": list(settings.stun_urls)})
    if turn is not None:
        username, credential = turn_credentials(turn.secret, settings.turn_ttl, now.timestamp())
        servers.append({"urls": list(turn.urls), "username": username, "credential": credential})
    return {
        "iceServers": servers,
        "iceTransportPolicy": "relay" if turn is not None else "all",
        "ipHidden": turn is not None,
    }
