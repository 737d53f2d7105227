"""argon2id password hashes, computed in threads of their own: each takes milliseconds of CPU,
on purpose.

The parameters are OWASP's first argon2id configuration (Password Storage Cheat Sheet: 19 MiB
of memory, 2 passes, 1 lane), which it rates as strong as its others of more memory and fewer
passes. argon2-cffi's defaults (RFC 9106's second recommendation: 64 MiB, 3 passes, 4 lanes)
cost about 8 times the CPU here (212 ms against 25 ms a hash), and 20 sign-ups at once on a
2-core machine then waited 2 to 3 s for their turn. A hash made with other parameters still
verifies (they are written in it) and is made again with these at the next sign-in
(``needs_rehash``).

The hashes run on a pool of ``HASHING_THREADS`` (as many hashes at once as the cores but one
can run, each on its lanes; at least one), not on asyncio's default executor: there, 20
sign-ups at once ran many hashes beside the event loop, which on 2 cores got so little of the
CPU that every transaction it had open (and with it SQLite's one write lock) lasted seconds.
Queued here, hashes wait their turn and the loop keeps a core.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
# Compared against when an e-mail is unknown, so a wrong address costs the same time as a
# wrong password and does not reveal which addresses have accounts.
_DUMMY = _hasher.hash("not a password anyone has")
HASHING_THREADS = max(1, ((os.cpu_count() or 2) - 1) // _hasher.parallelism)
_hashing = ThreadPoolExecutor(HASHING_THREADS, thread_name_prefix="password-hashing")
T = TypeVar("T")


async def _on_hashing_threads(work: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_hashing, work)


async def hash_password(password: str) -> str:
    return await _on_hashing_threads(lambda: _hasher.hash(password))


async def verify_password(stored: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored or _DUMMY, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await _on_hashing_threads(check)


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
