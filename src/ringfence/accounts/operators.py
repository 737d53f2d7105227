"""Operators (the accounts that run the installation) and what they do to other accounts: find
them, suspend and reinstate them.

The first operator is made by ``ringfence admin create`` on the server, or by the first-run
setup page while there is none (``web/admin/setup.py`` says who may reach it). An operator
account is an ordinary verified account whose ``role`` is ``operator``; the last one cannot be
revoked, so the console never ends up with nobody to run it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.addresses import Addresses, normalise_email
from ringfence.accounts.models import OPERATOR, USER, Account, AccountSession
from ringfence.accounts.passwords import hash_password
from ringfence.clock import Clock
from ringfence.errors import Conflict, InvalidInput, NotFound
from ringfence.privacy.audit import Audit
from ringfence.privacy.subjects import account_ref
from ringfence.store.database import Database

MIN_PASSWORD = 12  # an operator's password guards every account: longer than a user's minimum
MAX_PASSWORD = 256
PAGE = 50


@dataclass(frozen=True)
class Made:
    """The outcome of making an operator: the account, and whether it was created just now."""

    account: Account
    created: bool


@dataclass(frozen=True)
class Named:
    """An account with its address, decrypted for the console's pages."""

    account: Account
    email: str


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"an operator's password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"that password is too long ({MAX_PASSWORD} characters at most)")


class Operators:
    def __init__(self, db: Database, clock: Clock, addresses: Addresses) -> None:
        self.db = db
        self.clock = clock
        self.addresses = addresses
        self.audit = Audit(clock)

    def _audit(
        self, session: AsyncSession, actor: str, action: str, account: Account, **detail: Any
    ) -> None:
        self.audit.record(
            session,
            actor_kind="operator",
            actor_id=actor,
            action=action,
            subject_ref=account.subject_ref,
            **detail,
        )

    async def exist(self) -> bool:
        async with self.db.session() as session:
            return await self._count(session) > 0

    @staticmethod
    async def _count(session: AsyncSession) -> int:
        found = await session.scalar(
            select(func.count()).select_from(Account).where(Account.role == OPERATOR)
        )
        return int(found or 0)

    async def create(
        self, raw_email: str, password: str, *, via: str, only_first: bool = False
    ) -> Made:
        """An operator account for ``raw_email``: a new one (verified: whoever runs the server
        vouches for the address), or the existing account of that address, promoted, its
        password set to ``password``. ``via`` names the way in the audit log (``cli``,
        ``setup``). ``only_first``: refused (Conflict) once an operator exists, checked in the
        same transaction that makes this one (the setup page)."""
        email = normalise_email(raw_email)
        check_password(password)
        password_hash = await hash_password(password)
        now = self.clock.now()
        async with self.db.session() as session:
            if only_first and await self._count(session) > 0:
                raise Conflict("this installation already has an operator: log in instead")
            account = await session.scalar(select(Account).where(self.addresses.holder(email)))
            created = account is None
            if account is None:
                account = Account(id=secrets.token_hex(16), created_at=now, verified_at=now)
                account.subject_ref = account_ref(account.id)
                await self.addresses.write(session, account, email)
                session.add(account)
            account.password_hash = password_hash
            account.verified_at = account.verified_at or now
            account.role = OPERATOR
            account.suspended_at = None
            if not created:  # whoever knew the old password is signed out
                await session.execute(
                    delete(AccountSession).where(AccountSession.account_id == account.id)
                )
            await session.flush()
            self._audit(session, via, "admin.operator.created", account, new_account=created)
        return Made(account, created)

    async def grant(self, raw_email: str, *, via: str) -> Account:
        """Make an existing, verified account an operator."""
        async with self.db.session() as session:
            account = await self._by_email(session, raw_email)
            if account.verified_at is None:
                raise InvalidInput("that account has not confirmed its e-mail address yet")
            if account.suspended_at is not None:
                raise InvalidInput("that account is suspended: reinstate it first")
            account.role = OPERATOR
            self._audit(session, via, "admin.operator.granted", account)
            return account

    async def revoke(self, raw_email: str, *, via: str) -> Account:
        """Make an operator an ordinary account again (never the last operator)."""
        async with self.db.session() as session:
            account = await self._by_email(session, raw_email)
            if account.role != OPERATOR:
                raise InvalidInput("that account is not an operator")
            if await self._count(session) <= 1:
                raise Conflict("that is the last operator: grant another account first")
            account.role = USER
            self._audit(session, via, "admin.operator.revoked", account)
            return account

    async def _by_email(self, session: AsyncSession, raw_email: str) -> Account:
        email = normalise_email(raw_email)
        account = await session.scalar(select(Account).where(self.addresses.holder(email)))
        if account is None:
            raise NotFound(f"no account has the address {email}")
        return account

    # -- other accounts ------------------------------------------------------------------------

    async def search(self, query: str = "", *, limit: int = PAGE) -> Sequence[Named]:
        """The account of the address (or account id) ``query``, or the newest accounts when it
        is empty. Addresses are stored encrypted, each under its own key, so a search matches a
        whole address by its keyed hash; a part of an address would need every one decrypted."""
        statement = select(Account).order_by(Account.created_at.desc()).limit(limit)
        text = query.strip().lower()[:254]
        if text:
            statement = statement.where(
                (Account.email_hash == self.addresses.digest(text)) | (Account.id == text)
            )
        async with self.db.session() as session:
            found = (await session.scalars(statement)).all()
            return [Named(a, await self.addresses.read(session, a)) for a in found]

    async def get(self, account_id: str) -> Named:
        async with self.db.session() as session:
            account = await session.get(Account, account_id)
            if account is None:
                raise NotFound("no such account")
            return Named(account, await self.addresses.read(session, account))

    async def suspend(self, account_id: str, actor: Account) -> Account:
        """Stop the account: it cannot sign in, its sessions end, and so it places no call."""
        if account_id == actor.id:
            raise InvalidInput("an operator cannot suspend their own account")
        async with self.db.session() as session:
            account = await session.get(Account, account_id)
            if account is None:
                raise NotFound("no such account")
            if account.role == OPERATOR:
                raise InvalidInput("revoke the operator role before suspending the account")
            account.suspended_at = account.suspended_at or self.clock.now()
            ended = await session.execute(
                delete(AccountSession).where(AccountSession.account_id == account.id)
            )
            self._audit(
                session,
                actor.id,
                "admin.account.suspended",
                account,
                sessions_ended=int(ended.rowcount or 0),  # type: ignore[attr-defined]
            )
            return account

    async def reinstate(self, account_id: str, actor: Account) -> Account:
        async with self.db.session() as session:
            account = await session.get(Account, account_id)
            if account is None:
                raise NotFound("no such account")
            account.suspended_at = None
            self._audit(session, actor.id, "admin.account.reinstated", account)
            return account
