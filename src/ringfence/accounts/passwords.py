"""argon2id password hashes (argon2-cffi's defaults: RFC 9106's second recommendation), computed
in a thread: each takes tens of milliseconds, on purpose."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Compared against when an e-mail is unknown, so a wrong address costs the same time as a
# wrong password and does not reveal which addresses have accounts.
_DUMMY = _hasher.hash("not a password anyone has")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored or _DUMMY, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
