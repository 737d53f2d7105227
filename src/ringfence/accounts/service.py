"""Account life cycle: sign up, verify, log in (with limits and an optional TOTP code), sessions,
password reset, logout everywhere, deletion.

Links in e-mails are sealed tokens (``privacy.sealed``): nothing is stored for them. A reset link
carries a fingerprint of the current password hash, so it stops working once used. Unknown
e-mails cost a password check too and get the same answers, so the pages do not reveal who has
an account.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Literal

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ringfence.abuse.limits import Limit, RateLimiter
from ringfence.accounts.addresses import Addresses, normalise_email
from ringfence.accounts.mail import Backend, Mailer
from ringfence.accounts.models import Account, AccountSession
from ringfence.accounts.operators import Operators
from ringfence.accounts.passwords import hash_password, needs_rehash, verify_password
from ringfence.errors import Forbidden, InvalidInput, ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.privacy import policy
from ringfence.privacy.core import Privacy
from ringfence.privacy.sealed import seal, unseal
from ringfence.privacy.subjects import account_ref, ip_ref, keyed_ref
from ringfence.settings import Settings
from ringfence.tenants.lifecycle import refuse_sole_owner, sole_owned

log = get_logger(__name__)
RESET_HOURS = 1
TOTP_ISSUER = "ringfence"
RESENDS_PER_HOUR = 3  # confirmation links sent again to one account
RESEND_MINUTES = 30  # how long the "send the link again" button works after a sign-in
SUSPENDED = "this account is suspended: write to the operator of this site"


@dataclass(frozen=True)
class LoggedIn:
    account: Account
    email: str  # the account's address (stored encrypted: ``accounts.addresses``)
    token: str  # for the session cookie; stored only as a hash
    csrf: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SignedUp:
    """Where the confirmation link went: the operator's ``outbox``, out over ``smtp``, or
    ``unsent`` (the SMTP server refused; signing in offers to send it again)."""

    email: str
    where: Backend | Literal["unsent"]


class Unverified(Forbidden):
    """The password was right but the address is not confirmed yet. ``resend`` is a sealed
    token that lets whoever signed in have the link sent again (``Accounts.resend``)."""

    code = "unverified"

    def __init__(self, resend: str) -> None:
        super().__init__(
            "confirm your e-mail address first: open the link we sent you, or have it sent again"
        )
        self.resend = resend


@dataclass(frozen=True)
class TotpOffer:
    """A new two-step secret, its otpauth:// URI for an authenticator app, and the sealed token
    that brings the secret back with the first code."""

    secret: str
    uri: str
    token: str


@dataclass(frozen=True)
class Login:
    """A signed-in request: the account, its address (decrypted once, for the pages) and the
    session its cookie names."""

    account: Account
    email: str
    session: AccountSession


class Accounts:
    def __init__(self, settings: Settings, privacy: Privacy) -> None:
        self.settings = settings
        self.options = settings.accounts
        self.privacy = privacy
        self.db = privacy.db
        self.clock = privacy.clock
        self.key = settings.signing_key()
        self.mailer = Mailer(settings, self.clock)
        self.addresses = Addresses.of(privacy)
        self.limiter = RateLimiter(self.clock)
        self._sending: set[asyncio.Task[None]] = set()

    def operators(self) -> Operators:
        """The operators' actions, on this app's database, clock and addresses."""
        return Operators(self.db, self.clock, self.addresses)

    def later(self, mail: Coroutine[Any, Any, Backend]) -> None:
        """Send a mail after the answer has gone (its failure is logged by the mailer)."""
        task = asyncio.create_task(self._quietly(mail))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    @staticmethod
    async def _quietly(mail: Coroutine[Any, Any, Backend]) -> None:
        with contextlib.suppress(ServiceUnavailable):
            await mail

    async def close(self) -> None:
        """Wait for the mails still going out."""
        if self._sending:
            await asyncio.gather(*list(self._sending))

    def link(self, path: str, token: str) -> str:
        return f"{self.settings.web.public_url.rstrip('/')}{path}?token={token}"

    def _check_password(self, password: str) -> None:
        if len(password) < self.options.min_password:
            raise InvalidInput(
                f"choose a password of at least {self.options.min_password} characters"
            )
        if len(password) > 256:
            raise InvalidInput("that password is too long (256 characters at most)")

    # -- sign-up and verification ----------------------------------------------------------

    async def sign_up(
        self, raw_email: str, password: str, *, adult: bool, terms: bool, ip: str
    ) -> SignedUp:
        """Open an account and mail its confirmation link; the address and where the mail went.
        An address that already has an account gets a mail saying so, and the answer here is
        the same, so the page never tells anyone whether an address has an account. A mail the
        SMTP server refuses leaves no stuck account: signing in offers to send it again."""
        email = normalise_email(raw_email)
        self._check_password(password)
        if not adult:
            raise InvalidInput("you must be 18 or over to open an account")
        if not terms:
            raise InvalidInput("accept the terms of service to open an account")
        password_hash = await hash_password(password)
        limit = [
            Limit(
                "accounts.signup_ip",
                keyed_ref(ip_ref(ip), self.key),
                self.options.signups_per_ip,
                86400,
                "too many accounts were opened from your network today",
            )
        ]
        account = Account(
            id=secrets.token_hex(16), password_hash=password_hash, created_at=self.clock.now()
        )
        account.subject_ref = account_ref(account.id)
        async with self.db.session() as session:
            await self.limiter.check(session, limit)
            self.limiter.hit(session, limit)
        try:
            async with self.db.session() as session:
                await self.addresses.write(session, account, email)
                session.add(account)
                await session.flush()
                stamp = await policy.current_stamp(session, self.privacy.inventory, self.clock)
                await self.privacy.consents.record(
                    session,
                    account.subject_ref,
                    {"adult": True, "terms": True},
                    method="signup",
                    service="platform",
                    policy_version=stamp.version,
                )
        except IntegrityError:  # the address has an account: tell its owner, not the page
            async with self.db.session() as session:
                owner = await session.scalar(select(Account).where(self.addresses.holder(email)))
            return SignedUp(email, await self._unless_refused(self._already(email, owner)))
        log.info("account_created", account=account.id)
        return SignedUp(email, await self._unless_refused(self.send_verification(account, email)))

    @staticmethod
    async def _unless_refused(mail: Coroutine[Any, Any, Backend]) -> Backend | Literal["unsent"]:
        try:
            return await mail
        except ServiceUnavailable:  # logged by the mailer
            return "unsent"

    async def _already(self, email: str, owner: Account | None) -> Backend:
        # The owner's subject files the outbox copy (None: deleted meanwhile, by the address).
        ref = owner.subject_ref if owner is not None else self.addresses.digest(email)
        return await self.mailer.send(
            email,
            "You already have a ringfence account",
            "Someone asked to open a ringfence account with this address, which already "
            "has one. If it was you, log in, or reset your password:\n\n"
            f"{self.settings.web.public_url.rstrip('/')}/account/reset\n\n"
            "If it was not you, ignore this: nothing changes.",
            subject_ref=ref,
        )

    async def send_verification(self, account: Account, email: str) -> Backend:
        """Mail the link that confirms ``email``, the account's address."""
        token = seal(
            {"account": account.id, "email": self.addresses.digest(email)},
            key=self.key,
            purpose="accounts.verify",
            expires=self.clock.now() + dt.timedelta(hours=self.options.link_hours),
        )
        return await self.mailer.send(
            email,
            "Confirm your e-mail address",
            "Open this link to confirm the address of your ringfence account:\n\n"
            f"{self.link('/account/verify', token)}\n\n"
            f"It works for {self.options.link_hours} hours. If you did not sign up, ignore this.",
            subject_ref=account.subject_ref,
        )

    async def resend(self, token: str, ip: str) -> Backend:
        """Send the confirmation link again, for the holder of an ``Unverified.resend`` token
        (given only with the right password); a few times an hour per account."""
        data = unseal(token, key=self.key, purpose="accounts.resend", now=self.clock.now())
        async with self.db.session() as session:
            account = await session.get(Account, str(data["account"]))
            if account is None or account.email_hash != data["email"]:
                raise Forbidden("this account or address no longer exists")
            email = await self.addresses.read(session, account)
        if account.verified_at is not None:
            raise InvalidInput("this address is already confirmed: log in")
        limits = [
            Limit(
                "accounts.resend",
                keyed_ref(account.subject_ref, self.key),
                RESENDS_PER_HOUR,
                3600,
                "the link was sent again a few times already: wait an hour, or check the "
                "spam folder",
            ),
            Limit(
                "accounts.login_ip",
                keyed_ref(ip_ref(ip), self.key),
                self.options.logins_per_ip,
                3600,
                "too many sign-in attempts from your network",
            ),
        ]
        async with self.db.session() as session:
            await self.limiter.check(session, limits)
            self.limiter.hit(session, limits)
        log.info("account_link_resent", account=account.id)
        return await self.send_verification(account, email)

    async def verify(self, token: str) -> str:
        """Confirm the address a link was sent to; the address."""
        data = unseal(token, key=self.key, purpose="accounts.verify", now=self.clock.now())
        async with self.db.session() as session:
            account = await session.get(Account, str(data["account"]))
            if account is None or account.email_hash != data["email"]:
                raise Forbidden("this link is for an account or address that no longer exists")
            if account.verified_at is None:
                account.verified_at = self.clock.now()
            return await self.addresses.read(session, account)

    # -- logging in and sessions -----------------------------------------------------------

    async def log_in(self, raw_email: str, password: str, code: str | None, ip: str) -> LoggedIn:
        email = raw_email.strip().lower()[:254]
        email_key = self.addresses.digest(email)
        ip_limit = Limit(
            "accounts.login_ip",
            keyed_ref(ip_ref(ip), self.key),
            self.options.logins_per_ip,
            3600,
            "too many sign-in attempts from your network",
        )
        email_limit = Limit(
            "accounts.login_email",
            email_key,
            self.options.logins_per_email,
            900,
            "too many failed sign-ins for this account",
        )
        # Every attempt counts against the address before the password is checked, under the
        # limiter's lock, so concurrent guesses cannot all slip under the limit; a success
        # clears the address's count.
        async with self.db.session() as session:
            await self.limiter.check(session, [ip_limit, email_limit])
            self.limiter.hit(session, [ip_limit, email_limit])
        async with self.db.session() as session:
            account = await session.scalar(select(Account).where(self.addresses.holder(email)))
        ok = await verify_password(account.password_hash if account else None, password)
        if ok and account is not None and account.totp_secret is not None:
            ok = await self._totp_ok(account, code)
            if not ok and not code:
                raise InvalidInput("enter the 6-digit code from your authenticator app")
        if not ok or account is None:
            raise Forbidden("wrong e-mail, password or code")
        if account.verified_at is None:
            raise Unverified(
                seal(
                    {"account": account.id, "email": account.email_hash},
                    key=self.key,
                    purpose="accounts.resend",
                    expires=self.clock.now() + dt.timedelta(minutes=RESEND_MINUTES),
                )
            )
        if account.suspended_at is not None:
            raise Forbidden(SUSPENDED)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = self.clock.now()
        # Hashed before the write transaction: never hold SQLite's write lock across a hash.
        rehashed = await hash_password(password) if needs_rehash(account.password_hash) else None
        async with self.db.session() as session:
            await self.limiter.forget(session, [email_limit])
            if rehashed is not None:
                stored = await session.get(Account, account.id)
                if stored is not None:
                    stored.password_hash = rehashed
            session.add(
                AccountSession(
                    token_hash=_token_hash(token),
                    account_id=account.id,
                    subject_ref=account.subject_ref,
                    csrf=csrf,
                    created_at=now,
                    last_seen=now,
                )
            )
        log.info("account_login", account=account.id)
        return LoggedIn(account, email, token, csrf)

    async def session(self, token: str) -> Login | None:
        """The account and session of a session cookie, if it is valid (and mark it used)."""
        if not token or len(token) > 100:
            return None
        now = self.clock.now()
        async with self.db.session() as session:
            found = await session.get(AccountSession, _token_hash(token))
            if found is None:
                return None
            if found.last_seen < now - dt.timedelta(days=self.options.session_days):
                await session.delete(found)
                return None
            account = await session.get(Account, found.account_id)
            if account is None or account.suspended_at is not None:
                return None
            if now - found.last_seen > dt.timedelta(minutes=5):  # not a write per request
                found.last_seen = now
            email = await self.addresses.read(session, account)
        return Login(account, email, found)

    async def log_out(self, token: str) -> None:
        async with self.db.session() as session:
            await session.execute(
                delete(AccountSession).where(AccountSession.token_hash == _token_hash(token))
            )

    async def log_out_everywhere(self, account_id: str) -> int:
        async with self.db.session() as session:
            result = await session.execute(
                delete(AccountSession).where(AccountSession.account_id == account_id)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # -- password reset ----------------------------------------------------------------------

    async def request_reset(self, raw_email: str) -> None:
        """Mail a reset link if the address has an account. The answer is the same either way,
        and as quick: the mail goes out after the answer (``close`` waits for it)."""
        email = normalise_email(raw_email)
        async with self.db.session() as session:
            account = await session.scalar(select(Account).where(self.addresses.holder(email)))
        if account is None:
            return
        token = seal(
            {"account": account.id, "pw": _fingerprint(account.password_hash)},
            key=self.key,
            purpose="accounts.reset",
            expires=self.clock.now() + dt.timedelta(hours=RESET_HOURS),
        )
        self.later(
            self.mailer.send(
                email,
                "Reset your password",
                "Open this link to choose a new password for your ringfence account:\n\n"
                f"{self.link('/account/reset/new', token)}\n\n"
                "It works once, for an hour. If you did not ask, ignore this: nothing changes.",
                subject_ref=account.subject_ref,
            )
        )

    async def reset(self, token: str, password: str) -> str:
        """Set the new password a reset link allows; the account's address."""
        data = unseal(token, key=self.key, purpose="accounts.reset", now=self.clock.now())
        self._check_password(password)
        new_hash = await hash_password(password)
        async with self.db.session() as session:
            account = await session.get(Account, str(data["account"]))
            if account is None or _fingerprint(account.password_hash) != data["pw"]:
                raise Forbidden("this link has already been used or the password has changed")
            account.password_hash = new_hash
            account.verified_at = account.verified_at or self.clock.now()  # the mail arrived
            await session.execute(
                delete(AccountSession).where(AccountSession.account_id == account.id)
            )
            email = await self.addresses.read(session, account)
        log.info("account_password_reset", account=account.id)
        return email

    # -- two-step sign-in (TOTP) ---------------------------------------------------------------

    def totp_offer(self, login: Login) -> TotpOffer:
        """A new secret, its otpauth:// URI for an authenticator app, and a sealed token that
        brings the secret back with the first code."""
        account = login.account
        secret = pyotp.random_base32()
        uri = pyotp.TOTP(secret).provisioning_uri(name=login.email, issuer_name=TOTP_ISSUER)
        token = seal(
            {"account": account.id, "secret": secret},
            key=self.key,
            purpose="accounts.totp",
            expires=self.clock.now() + dt.timedelta(minutes=15),
        )
        return TotpOffer(secret, uri, token)

    async def totp_enable(self, account: Account, token: str, code: str) -> None:
        data = unseal(token, key=self.key, purpose="accounts.totp", now=self.clock.now())
        if data["account"] != account.id:
            raise Forbidden("this set-up belongs to another account")
        if not pyotp.TOTP(str(data["secret"])).verify(code.strip(), valid_window=1):
            raise InvalidInput("that code is not right: check your authenticator app's clock")
        async with self.db.session() as session:
            stored = await session.get(Account, account.id)
            assert stored is not None
            stored.totp_secret = await self.privacy.vault.encrypt(
                session, account.subject_ref, str(data["secret"]).encode()
            )

    async def totp_disable(self, account: Account, code: str) -> None:
        if not await self._totp_ok(account, code):
            raise InvalidInput("that code is not right")
        async with self.db.session() as session:
            stored = await session.get(Account, account.id)
            assert stored is not None
            stored.totp_secret = None

    async def _totp_ok(self, account: Account, code: str | None) -> bool:
        if account.totp_secret is None or not code:
            return False
        async with self.db.session() as session:
            secret = await self.privacy.vault.decrypt(
                session, account.subject_ref, account.totp_secret
            )
        return bool(pyotp.TOTP(secret.decode()).verify(code.strip(), valid_window=1))

    # -- deletion ----------------------------------------------------------------------------

    async def delete(self, account: Account, password: str) -> list[dict[str, object]]:
        """Erase the account and everything kept about it (legal holds, such as payment
        records, are kept and named in the answer)."""
        if not await verify_password(account.password_hash, password):
            raise Forbidden("wrong password")
        return await self.erase(account)

    async def erase(self, account: Account) -> list[dict[str, object]]:
        """The erasure itself, once whoever asked is known to be allowed (the account's owner
        with its password, or the operator). Refused while the account alone owns an open
        business: it is handed over or closed first (``tenants.lifecycle``)."""
        async with self.db.session() as session:
            refuse_sole_owner(await sole_owned(session, account.id))
            stamp = await policy.current_stamp(session, self.privacy.inventory, self.clock)
            actions, holds = await self.privacy.rights(stamp.version).erase(
                session, account.subject_ref
            )
        log.info("account_deleted", account=account.id)
        return [*actions, *({"kept": h["category"], "why": h["why"]} for h in holds)]
