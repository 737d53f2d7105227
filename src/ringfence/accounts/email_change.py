"""Changing an account's e-mail address: the new address must prove it is the holder's.

The holder asks with their password; a link goes to the NEW address (sealed: the account, the
old and the new address, an expiry) and a notice to the OLD one, so a stolen session cannot move
an account away unseen. The address changes only when the link is opened, and only if the
account still has the old address then (a link works once: after it, the old address is gone).
Asking is limited per account. Each step is audited, by ids only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ringfence.abuse.limits import Limit
from ringfence.accounts.addresses import normalise_email
from ringfence.accounts.mail import Backend
from ringfence.accounts.models import Account
from ringfence.accounts.passwords import verify_password
from ringfence.accounts.service import Accounts, Login
from ringfence.errors import Conflict, Forbidden, InvalidInput
from ringfence.logging import get_logger
from ringfence.privacy.sealed import seal, unseal
from ringfence.privacy.subjects import keyed_ref

log = get_logger(__name__)
PURPOSE = "accounts.email_change"
CHANGES_PER_HOUR = 3
TAKEN = "that address has an account already: sign in to it, or choose another"


@dataclass(frozen=True)
class Changed:
    """The account whose address a link changed, and the address it has now."""

    account: Account
    email: str


class EmailChanges:
    """Over the app's ``Accounts``: its mailer, key, clock, limiter and privacy core."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts

    async def ask(self, login: Login, raw_new: str, password: str) -> Backend:
        """Mail the confirmation link to the new address and a notice to the old one; where
        the link went."""
        a, account = self.accounts, login.account
        new = normalise_email(raw_new)
        if new == login.email:
            raise InvalidInput("that is already your address")
        limit = [
            Limit(
                "accounts.email_change",
                keyed_ref(account.subject_ref, a.key),
                CHANGES_PER_HOUR,
                3600,
                "the address was asked to change a few times already: wait an hour",
            )
        ]
        async with a.db.session() as session:
            await a.limiter.check(session, limit)
            a.limiter.hit(session, limit)
        if not await verify_password(account.password_hash, password):
            raise Forbidden("wrong password")
        async with a.db.session() as session:
            if await session.scalar(select(Account.id).where(a.addresses.holder(new))):
                raise Conflict(TAKEN)
            a.privacy.audit.record(
                session,
                actor_kind="subject",
                actor_id=account.subject_ref,
                action="accounts.email_change.asked",
                subject_ref=account.subject_ref,
            )
        hours = a.options.link_hours
        token = seal(
            {"account": account.id, "old": account.email_hash, "new": new},
            key=a.key,
            purpose=PURPOSE,
            expires=a.clock.now() + dt.timedelta(hours=hours),
        )
        where = await a.mailer.send(
            new,
            "Confirm your new e-mail address",
            "Open this link to make this the address of your ringfence account:\n\n"
            f"{a.link('/account/email/confirm', token)}\n\n"
            f"It works for {hours} hours. Until it is opened, nothing changes. If you did not "
            "ask, ignore this.",
            subject_ref=account.subject_ref,
        )
        a.later(
            a.mailer.send(
                login.email,
                "Your ringfence address is being changed",
                "Someone signed in to your ringfence account asked to change its e-mail "
                "address. It changes only when the link sent to the new address is opened.\n\n"
                "If it was not you, sign in, change your password and sign out on every "
                "device:\n\n"
                f"{a.settings.web.public_url.rstrip('/')}/account",
                subject_ref=account.subject_ref,
            )
        )
        log.info("account_email_change_asked", account=account.id)
        return where

    async def confirm(self, token: str) -> Changed:
        """Apply the change a link carries (Forbidden once used, expired or altered)."""
        a = self.accounts
        data = unseal(token, key=a.key, purpose=PURPOSE, now=a.clock.now())
        try:
            async with a.db.session() as session:
                account = await session.get(Account, str(data["account"]))
                if account is None or account.email_hash != data["old"]:
                    raise Forbidden("this link was already used, or the address changed since")
                new = str(data["new"])
                await a.addresses.write(session, account, new)
                account.verified_at = a.clock.now()  # the link reached the new address
                a.privacy.audit.record(
                    session,
                    actor_kind="subject",
                    actor_id=account.subject_ref,
                    action="accounts.email_change.applied",
                    category="account",
                    subject_ref=account.subject_ref,
                )
                await session.flush()
        except IntegrityError:  # another account took the address since the link was sent
            raise Conflict(TAKEN) from None
        log.info("account_email_changed", account=account.id)
        return Changed(account, new)
