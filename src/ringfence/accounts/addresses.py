"""Accounts' e-mail addresses, encrypted at rest and found by a keyed hash: the one way to read,
write and look up an address.

- ``accounts.email`` holds the address encrypted with the account's own data key (the privacy
  core's envelope encryption, ``privacy.crypto.Vault``, subject ``account:<id>``), so erasing the
  account destroys the key and leaves no readable copy anywhere: not in the database file, its
  write-ahead log, nor a backup. A per-subject key rather than one install-wide key is why.
- ``accounts.email_hash`` is an HMAC-SHA256 of the normalised address under the installation's
  secret key (``Settings.signing_key``: configured, or a 0600 file in the data directory, kept
  like the master key), as ``subjects.keyed_ref("email:<address>")``. It is unique (one account
  per address) and is what sign-in, sign-up, password reset, invitations and the operator's
  look-ups match on; an invitation's ``email_hash`` is the same value, so an invitation is
  matched to an account without decrypting anything. Without the key the hash names nobody; the
  key cannot rotate without re-hashing (as for phone references).

Readers call ``read``/``read_many`` inside their own session; nothing else decrypts an address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import Account
from ringfence.errors import InvalidInput
from ringfence.privacy.core import Privacy
from ringfence.privacy.crypto import Vault
from ringfence.privacy.subjects import keyed_ref

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_EMAIL = 254


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        raise InvalidInput("that is not an e-mail address")
    return email


class Addresses:
    """Reads, writes and finds accounts by address (see the module docstring)."""

    def __init__(self, vault: Vault, key: bytes) -> None:
        self.vault = vault
        self.key = key

    @classmethod
    def of(cls, privacy: Privacy) -> Addresses:
        """The installation's: its vault and secret key."""
        return cls(privacy.vault, privacy.settings.signing_key())

    def digest(self, raw: str) -> str:
        """The keyed hash of an address as typed (trimmed, lower-cased; not validated, so a
        sign-in with anything typed finds nothing rather than failing differently)."""
        return keyed_ref(f"email:{raw.strip().lower()[:MAX_EMAIL]}", self.key)

    def holder(self, raw: str) -> ColumnElement[bool]:
        """The condition selecting the account of an address: ``select(Account).where(...)``."""
        return Account.email_hash == self.digest(raw)

    async def write(self, session: AsyncSession, account: Account, email: str) -> None:
        """Give the account ``email`` (already normalised); its ``subject_ref`` must be set."""
        account.email = await self.vault.encrypt(session, account.subject_ref, email.encode())
        account.email_hash = self.digest(email)

    async def read(self, session: AsyncSession, account: Account) -> str:
        return (await self.vault.decrypt(session, account.subject_ref, account.email)).decode()

    async def read_many(self, session: AsyncSession, accounts: Iterable[Account]) -> dict[str, str]:
        """Each account's address, by account id (for lists: members, the operator's users)."""
        return {a.id: await self.read(session, a) for a in accounts}
