"""An account's address book: name, number and an optional note, each encrypted with the account's
own data key (the account is the subject, so erasing it destroys the key and every contact with it).

Nothing is searchable in the table: a search decrypts the account's own contacts (a person keeps a
few hundred at most, ``MAX_CONTACTS``) and matches in memory. Numbers are kept in E.164, so the
call history can name the contact a call went to.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.models import Account
from ringfence.errors import Conflict, InvalidInput, NotFound
from ringfence.privacy.core import Privacy
from ringfence.services.dial.models import DialContact
from ringfence.telephony.dialing import parse

NAME_MAX = 100
NOTE_MAX = 500
MAX_CONTACTS = 1000  # an address book, not a contact list for campaigns


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    number: str  # E.164
    note: str

    @property
    def international(self) -> str:
        """The number as people write it ("+44 20 7946 0958"), worked out only when shown."""
        return parse(self.number, None).international


@dataclass(frozen=True)
class ContactIn:
    """What a person typed, checked: a name, a number in its country (or with its +code)."""

    name: str
    number: str
    note: str

    @classmethod
    def checked(cls, name: str, number: str, note: str | None, country: str | None) -> ContactIn:
        name = " ".join(name.split())
        if not name:
            raise InvalidInput("give the contact a name")
        if len(name) > NAME_MAX:
            raise InvalidInput(f"a name has at most {NAME_MAX} characters")
        if any(unicodedata.category(c) == "Cc" for c in name):
            raise InvalidInput("a name cannot hold control characters")
        note = (note or "").strip()
        if len(note) > NOTE_MAX:
            raise InvalidInput(f"a note has at most {NOTE_MAX} characters")
        return cls(name, parse(number, country).e164, note)


def folded(text: str) -> str:
    """Case and accents set aside: "José" is found by "jose"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches(query: str, text: str, e164: str) -> bool:
    """A query that is a number ("+44 20", "7946") finds the numbers holding its digits; any other
    query finds the text (a name, a note) holding each of its words."""
    words = folded(query).split()
    if not words:
        return True
    digits = "".join(c for c in query if c.isdigit())
    if digits and all(c.isdigit() or c in "+-() ." for c in query.strip()):
        return digits in e164
    return all(word in folded(text) for word in words)


class ContactBook:
    def __init__(self, privacy: Privacy) -> None:
        self.privacy = privacy
        self.db = privacy.db
        self.clock = privacy.clock

    async def _seal(self, session: AsyncSession, account: Account, text: str) -> bytes:
        return await self.privacy.vault.encrypt(session, account.subject_ref, text.encode())

    async def _open(
        self, session: AsyncSession, account: Account, rows: Sequence[DialContact]
    ) -> list[Contact]:
        """The rows in plain text, their fields decrypted under one look-up of the key."""
        blobs = [blob for row in rows for blob in (row.name, row.number, row.note) if blob]
        plain = iter(await self.privacy.vault.decrypt_all(session, account.subject_ref, blobs))
        out = []
        for row in rows:
            name, number = next(plain).decode(), next(plain).decode()
            note = next(plain).decode() if row.note else ""
            out.append(Contact(row.id, name, number, note))
        return out

    async def all(self, account: Account) -> list[Contact]:
        """The account's contacts by name."""
        async with self.db.session() as session:
            rows = await session.scalars(
                select(DialContact).where(DialContact.subject_ref == account.subject_ref)
            )
            contacts = await self._open(session, account, rows.all())
        return sorted(contacts, key=lambda c: (folded(c.name), c.number))

    async def search(self, account: Account, query: str) -> list[Contact]:
        return [
            c for c in await self.all(account) if matches(query, f"{c.name} {c.note}", c.number)
        ]

    async def names(self, account: Account) -> dict[str, str]:
        """``{E.164: name}``, for the call history (the first name by order where two share one)."""
        out: dict[str, str] = {}
        for contact in await self.all(account):
            out.setdefault(contact.number, contact.name)
        return out

    async def add(self, account: Account, typed: ContactIn) -> Contact:
        (added,) = await self.add_all(account, [typed])
        return added

    async def add_all(self, account: Account, typed: list[ContactIn]) -> list[Contact]:
        """Add every contact or, past the book's size, none."""
        now = self.clock.now()
        async with self.db.session() as session:
            held = await session.scalar(
                select(func.count())
                .select_from(DialContact)
                .where(DialContact.subject_ref == account.subject_ref)
            )
            if (held or 0) + len(typed) > MAX_CONTACTS:
                raise Conflict(f"an address book holds at most {MAX_CONTACTS} contacts")
            rows = []
            for one in typed:
                row = DialContact(
                    subject_ref=account.subject_ref,
                    name=await self._seal(session, account, one.name),
                    number=await self._seal(session, account, one.number),
                    note=await self._seal(session, account, one.note) if one.note else None,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                rows.append(row)
            await session.flush()
            return await self._open(session, account, rows)

    async def _row(self, session: AsyncSession, account: Account, contact_id: str) -> DialContact:
        row = await session.get(DialContact, contact_id)
        if row is None or row.subject_ref != account.subject_ref:
            raise NotFound("you have no contact with this id")
        return row

    async def edit(self, account: Account, contact_id: str, typed: ContactIn) -> Contact:
        async with self.db.session() as session:
            row = await self._row(session, account, contact_id)
            row.name = await self._seal(session, account, typed.name)
            row.number = await self._seal(session, account, typed.number)
            row.note = await self._seal(session, account, typed.note) if typed.note else None
            row.updated_at = self.clock.now()
            await session.flush()
            (contact,) = await self._open(session, account, [row])
            return contact

    async def remove(self, account: Account, contact_id: str) -> None:
        async with self.db.session() as session:
            await session.delete(await self._row(session, account, contact_id))
