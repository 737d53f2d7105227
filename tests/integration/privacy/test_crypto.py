"""Envelope encryption: per-subject keys, crypto-shredding, rotation without re-encryption."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from ringfence.errors import ConfigurationError
from ringfence.privacy.crypto import DecryptionFailed, KeyDestroyed, MasterKeys, Vault
from ringfence.store import Database
from ringfence.testing import FakeClock
from tests.conftest import ENGINES

pytestmark = pytest.mark.integration


def test_master_key_file_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    keys = MasterKeys.load(path, None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert MasterKeys.load(path, None).keys == keys.keys
    configured = base64.b64encode(b"k" * 32).decode()
    assert MasterKeys.load(path, configured).keys == {"configured": b"k" * 32}
    with pytest.raises(ConfigurationError, match="RINGFENCE_PRIVACY__MASTER_KEY"):
        MasterKeys.load(path, "short")


@ENGINES
async def test_encrypt_shred_and_rotate(db: Database, tmp_path: Path) -> None:
    key_file = tmp_path / "master.key"
    vault = Vault(MasterKeys.load(key_file, None), FakeClock(), key_file)
    async with db.session() as session:
        alice = await vault.encrypt(session, "anon:alice", b"a recording")
        bob = await vault.encrypt(session, "anon:bob", b"another one")
    assert b"a recording" not in alice
    async with db.session() as session:
        assert await vault.decrypt(session, "anon:alice", alice) == b"a recording"
        with pytest.raises(DecryptionFailed):
            await vault.decrypt(session, "anon:bob", alice)  # bound to its subject

    async with db.session() as session:
        assert await vault.rotate(session) == 2
    assert vault.master.current == "k2" and set(vault.master.keys) == {"k1", "k2"}
    reloaded = Vault(MasterKeys.load(key_file, None), FakeClock(), key_file)
    async with db.session() as session:
        assert await reloaded.decrypt(session, "anon:alice", alice) == b"a recording"
        assert await reloaded.destroy(session, "anon:alice")
    async with db.session() as session:
        with pytest.raises(KeyDestroyed):
            await reloaded.decrypt(session, "anon:alice", alice)
        assert await reloaded.decrypt(session, "anon:bob", bob) == b"another one"
