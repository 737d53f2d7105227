"""Stripe webhooks signed here, as Stripe signs them, with a test endpoint secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

SECRET = "whsec_test_" + "x" * 24


def sign(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header, as Stripe computes it: HMAC-SHA256 of "<t>.<payload>"."""
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    body = {"id": event_id or f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": kind,
            "data": {"object": obj}}  # fmt: skip
    return json.dumps(body).encode()


def paid(account_id: str, amount: int = 1000, session_id: str = "cs_test_1") -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "payment_status": "paid",
        "amount_total": amount,
        "currency": "eur",
        "client_reference_id": account_id,
        "metadata": {"account": account_id},
        "payment_intent": "pi_test_1",
    }
