"""The signature on every request to a business's systems, so they can tell it came from here.

``X-Ringfence-Signature: t=<unix seconds>,v1=<hex>``, where ``v1`` is the HMAC-SHA256, under
the business's secret, of ``<t>.`` followed by the raw body (the scheme Stripe's webhooks use:
the timestamp is signed, so a receiver refuses a replay older than a few minutes).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "X-Ringfence-Signature"
SECRET_PREFIX = "rfs_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver checks (used by the tests' receiver, and documented for businesses)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)
