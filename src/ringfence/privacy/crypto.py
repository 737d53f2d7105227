"""Envelope encryption at rest: AES-256-GCM with a data key per subject, wrapped by a master key.

- Master keys come from ``RINGFENCE_PRIVACY__MASTER_KEY`` (base64 of 32 bytes) or a key file
  (``RINGFENCE_PRIVACY__MASTER_KEY_FILE``, by default in the data directory), created on first
  use with mode 0600 in a directory made 0700 if it is new. The file holds every master key version;
  ``rotate()`` adds a new one and re-wraps every data key with it, without touching the data.
- A subject's data key is created on first use and stored wrapped (``data_keys``). Destroying it
  (erasure) makes every ciphertext of that subject unreadable, copies in backups included.
- A ciphertext is ``b"RF1" + nonce(12) + AES-GCM(data key, plaintext, aad=subject_ref)``: binding
  the subject as associated data stops one subject's blob being decrypted under another's key.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import ConfigurationError, RingfenceError
from ringfence.privacy.models import DataKey
from ringfence.store.database import own_role_session
from ringfence.store.upsert import insert_missing

MAGIC = b"RF1"
NONCE = 12


class KeyDestroyed(RingfenceError):
    """The subject's data key was destroyed (erased): the data is gone for good."""

    code = "erased"
    http_status = 410


class DecryptionFailed(RingfenceError):
    code = "decryption_failed"


def encrypt_with(key: bytes, subject_ref: str, plaintext: bytes) -> bytes:
    """The ciphertext format, apart from where the key comes from (a migration converting rows
    has the key in hand, outside the async session)."""
    nonce = secrets.token_bytes(NONCE)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, subject_ref.encode())


def decrypt_with(key: bytes, subject_ref: str, blob: bytes) -> bytes:
    if not blob.startswith(MAGIC):
        raise DecryptionFailed("not a ringfence ciphertext")
    body = blob[len(MAGIC) :]
    try:
        return AESGCM(key).decrypt(body[:NONCE], body[NONCE:], subject_ref.encode())
    except InvalidTag:
        raise DecryptionFailed("ciphertext does not belong to this subject") from None


@dataclass
class MasterKeys:
    current: str
    keys: dict[str, bytes]

    @classmethod
    def load(cls, path: Path, configured: str | None) -> MasterKeys:
        if configured:
            try:
                key = base64.b64decode(configured, validate=True)
            except ValueError:
                key = b""
            if len(key) != 32:
                raise ConfigurationError(
                    "invalid setting RINGFENCE_PRIVACY__MASTER_KEY: must be base64 of 32 bytes"
                )
            return cls("configured", {"configured": key})
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            keys = cls("k1", {"k1": AESGCM.generate_key(bit_length=256)})
            keys.save(path, create=True)
            return keys
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # a key file copied in with a looser mode is tightened
        data = json.loads(path.read_text())
        return cls(data["current"], {k: base64.b64decode(v) for k, v in data["keys"].items()})

    def save(self, path: Path, *, create: bool = False) -> None:
        body = json.dumps(
            {
                "current": self.current,
                "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()},
            }
        )
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(body)
        os.replace(tmp, path)

    def wrap(self, data_key: bytes, subject_ref: str) -> tuple[str, bytes]:
        nonce = secrets.token_bytes(NONCE)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, data_key, subject_ref.encode())
        return self.current, nonce + sealed

    def unwrap(self, key_id: str, wrapped: bytes, subject_ref: str) -> bytes:
        try:
            master = self.keys[key_id]
        except KeyError:
            raise ConfigurationError(
                f"master key {key_id!r} is missing from the key file"
            ) from None
        return AESGCM(master).decrypt(wrapped[:NONCE], wrapped[NONCE:], subject_ref.encode())


class Vault:
    """Encrypts and decrypts a subject's data under its data key."""

    def __init__(self, master: MasterKeys, clock: Clock, key_file: Path | None = None) -> None:
        self.master = master
        self.clock = clock
        self.key_file = key_file

    async def _data_key(self, session: AsyncSession, subject_ref: str, create: bool) -> bytes:
        # Data keys are never read under a tenant's role (it has no grant on them): a restricted
        # session gets them through a transaction on the application's own role.
        async with own_role_session(session) as keys:
            row = await keys.get(DataKey, subject_ref)
            if row is None:
                if not create:
                    raise KeyDestroyed(f"no data key for {subject_ref.split(':')[0]} subject")
                return await self._new_key(keys, subject_ref)
            return self.master.unwrap(row.master_key_id, row.wrapped_key, subject_ref)

    async def _new_key(self, session: AsyncSession, subject_ref: str) -> bytes:
        """A new data key for the subject, or the one a concurrent first write stored."""
        key = AESGCM.generate_key(bit_length=256)
        key_id, wrapped = self.master.wrap(key, subject_ref)
        row = await insert_missing(
            session,
            DataKey,
            {
                "subject_ref": subject_ref,
                "wrapped_key": wrapped,
                "master_key_id": key_id,
                "created_at": self.clock.now(),
            },
        )
        return self.master.unwrap(row.master_key_id, row.wrapped_key, subject_ref)

    async def encrypt(self, session: AsyncSession, subject_ref: str, plaintext: bytes) -> bytes:
        return encrypt_with(
            await self._data_key(session, subject_ref, create=True), subject_ref, plaintext
        )

    async def decrypt(self, session: AsyncSession, subject_ref: str, blob: bytes) -> bytes:
        (plain,) = await self.decrypt_all(session, subject_ref, [blob])
        return plain

    async def decrypt_all(
        self, session: AsyncSession, subject_ref: str, blobs: Sequence[bytes]
    ) -> list[bytes]:
        """Many of one subject's ciphertexts under one look-up of its key: a search that reads a
        whole address book or call history would otherwise ask the store once per field."""
        if not blobs:
            return []
        if not all(blob.startswith(MAGIC) for blob in blobs):
            raise DecryptionFailed("not a ringfence ciphertext")
        key = await self._data_key(session, subject_ref, create=False)
        return [decrypt_with(key, subject_ref, blob) for blob in blobs]

    async def destroy(self, session: AsyncSession, subject_ref: str) -> bool:
        """Crypto-shred: the subject's ciphertexts, wherever they are, become unreadable."""
        result = await session.execute(delete(DataKey).where(DataKey.subject_ref == subject_ref))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def rotate(self, session: AsyncSession) -> int:
        """Add a master key version and re-wrap every data key with it; returns how many."""
        if self.key_file is None:
            raise ConfigurationError("key rotation needs the key file (unset the master key)")
        new_id = f"k{len(self.master.keys) + 1}"
        while new_id in self.master.keys:
            new_id += "x"
        old = self.master
        new = MasterKeys(new_id, {**old.keys, new_id: AESGCM.generate_key(bit_length=256)})
        rows = (await session.scalars(select(DataKey))).all()
        for row in rows:
            key = old.unwrap(row.master_key_id, row.wrapped_key, row.subject_ref)
            row.master_key_id, row.wrapped_key = new.wrap(key, row.subject_ref)
        await session.flush()
        # Written after the re-wrap succeeds; old versions stay so an interrupted run can finish.
        new.save(self.key_file)
        self.master = new
        return len(rows)
