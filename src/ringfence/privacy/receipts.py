"""Signed receipts for rights requests: Ed25519, so anyone holding the public key
(``/privacy/receipt-key``) can check that a receipt is ours and unaltered."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


class ReceiptSigner:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    @classmethod
    def from_file(cls, path: Path) -> ReceiptSigner:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return cls(key)

    @property
    def public_pem(self) -> str:
        return (
            self.key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, body: dict[str, Any]) -> str:
        signature = base64.b64encode(self.key.sign(_canonical(body))).decode()
        return json.dumps({"receipt": body, "signature": signature, "alg": "Ed25519"})

    def verify(self, document: str) -> dict[str, Any] | None:
        return verify_receipt(document, self.key.public_key())


def verify_receipt(document: str, public_key: Ed25519PublicKey) -> dict[str, Any] | None:
    """The receipt's body if the signature holds, else None."""
    try:
        data = json.loads(document)
        body = data["receipt"]
        public_key.verify(base64.b64decode(data["signature"]), _canonical(body))
    except (ValueError, KeyError, TypeError, InvalidSignature):
        return None
    return body if isinstance(body, dict) else None
