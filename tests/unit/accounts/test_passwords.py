"""Password hashes: OWASP's argon2id parameters, and hashes made with other ones (argon2-cffi's
defaults, used before) still verify and are marked to be made again."""

from __future__ import annotations

from argon2 import PasswordHasher

from ringfence.accounts.passwords import hash_password, needs_rehash, verify_password


async def test_a_hash_uses_owasps_argon2id_parameters_and_verifies() -> None:
    stored = await hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await verify_password(stored, "correct horse battery staple")
    assert not await verify_password(stored, "correct horse battery stapler")
    assert not needs_rehash(stored)


async def test_an_older_hash_still_verifies_and_is_due_to_be_made_again() -> None:
    older = PasswordHasher().hash("correct horse battery staple")  # m=65536,t=3,p=4
    assert await verify_password(older, "correct horse battery staple")
    assert needs_rehash(older)


async def test_an_unknown_account_costs_a_verification_and_fails() -> None:
    assert not await verify_password(None, "anything")
