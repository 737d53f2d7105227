"""Sealed tokens: data the server hands a browser to bring back later, encrypted and
authenticated (AES-256-GCM under a key derived per purpose), so the server keeps nothing in the
meantime and the browser can neither read nor alter it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ringfence.errors import Forbidden, InvalidInput

MAX_TOKEN = 4096


def _aead(key: bytes, purpose: str) -> AESGCM:
    return AESGCM(hashlib.sha256(b"sealed:" + purpose.encode() + b":" + key).digest())


def seal(data: dict[str, Any], *, key: bytes, purpose: str, expires: dt.datetime) -> str:
    nonce = os.urandom(12)
    body = json.dumps({**data, "exp": int(expires.timestamp())}).encode()
    sealed = nonce + _aead(key, purpose).encrypt(nonce, body, purpose.encode())
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def unseal(token: str, *, key: bytes, purpose: str, now: dt.datetime) -> dict[str, Any]:
    if not token or len(token) > MAX_TOKEN:
        raise InvalidInput("missing or oversized token")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body = _aead(key, purpose).decrypt(raw[:12], raw[12:], purpose.encode())
        data: dict[str, Any] = json.loads(body)
    except (ValueError, InvalidTag):
        raise Forbidden("this token is not valid: start again") from None
    if int(data.get("exp", 0)) <= now.timestamp():
        raise Forbidden("this request has expired: start again")
    return data
