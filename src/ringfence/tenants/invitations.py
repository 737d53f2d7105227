"""Invitations to join a business: a member who may manage members invites an e-mail address in
a role; the address gets a link; only when the account with that address accepts does the
membership exist.

The business's answer is the same whether or not the address has an account ("invitation
sent"), and so is the pending list (the address masked, never whether it has an account). The
link is a sealed token (``privacy.sealed``) naming the invitation; it is spent once
(``abuse.captcha.spend_once``) and the invitation row goes with the answer, so a link that was
used, declined, cancelled or has expired opens nothing. Until the invitee signs in (or signs up
and confirms the address first) the link keeps working, for ``INVITATION_DAYS``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ringfence.abuse.captcha import spend_once
from ringfence.accounts.addresses import Addresses, normalise_email
from ringfence.accounts.mail import Mailer
from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import Conflict, Forbidden, NotFound, ServiceUnavailable
from ringfence.logging import get_logger
from ringfence.privacy.audit import Audit
from ringfence.privacy.sealed import seal, unseal
from ringfence.settings import Settings
from ringfence.store.database import Database, own_role_session
from ringfence.tenants.models import INVITATION_DAYS, MemberInvitation, Membership, Tenant
from ringfence.tenants.roles import check_role
from ringfence.tenants.scoping import tenant_session
from ringfence.tenants.service import Tenants

log = get_logger(__name__)
PURPOSE = "tenants.invitation"
GONE = "this invitation was cancelled, already answered or has expired"


def mask(email: str) -> str:
    """``ada@example.org`` → ``a…@example.org``: enough for the business to recognise whom it
    invited, not the address."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"[:80]


@dataclass(frozen=True)
class Invited:
    """What the invitee sees before answering: which business, which role."""

    invitation: str
    tenant: str
    business: str
    role: str
    expires_at: dt.datetime


class Invitations:
    def __init__(
        self, settings: Settings, db: Database, clock: Clock, tenants: Tenants, addresses: Addresses
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.tenants = tenants
        self.addresses = addresses
        self.key = settings.signing_key()
        self.mailer = Mailer(settings, clock)
        self.audit = Audit(clock)

    async def _recipient(self, email: str) -> str:
        """Whom an invitation mail is about: the address's account if it has one (its rights
        requests then reach the outbox copy), else the address's keyed hash."""
        async with self.db.session() as session:
            owner = await session.scalar(
                select(Account.subject_ref).where(self.addresses.holder(email))
            )
        return owner or self.addresses.digest(email)

    # -- the business's side -------------------------------------------------------------------

    async def invite(self, actor: Account, tenant_id: str, raw_email: str, role: str) -> None:
        """Create the invitation and mail its link. The same answer for any address: whether it
        has an account is neither checked nor told here."""
        actor_role = await self.tenants.role(actor, tenant_id, "members.manage")
        check_role(role)
        if role == "owner" and actor_role != "owner":
            raise Forbidden("only an owner can make another owner")
        email = normalise_email(raw_email)
        async with self.db.session() as session:
            member = await session.scalar(
                select(Membership.id)
                .join(Account, Membership.account_id == Account.id)
                .where(Membership.tenant_id == tenant_id, self.addresses.holder(email))
            )
        if member is not None:
            raise Conflict("that address is already a member of this business")
        now = self.clock.now()
        expires = now + dt.timedelta(days=INVITATION_DAYS)
        invitation = MemberInvitation(
            id=secrets.token_hex(16),
            email_hash=self.addresses.digest(email),
            email_masked=mask(email),
            role=role,
            invited_by=actor.subject_ref,
            created_at=now,
            expires_at=expires,
        )
        try:
            async with tenant_session(self.db, tenant_id) as session:
                await session.execute(
                    delete(MemberInvitation).where(MemberInvitation.expires_at <= now)
                )
                session.add(invitation)
        except IntegrityError:
            raise Conflict("an invitation to that address is already pending") from None
        business = await self._business(tenant_id)
        token = seal(
            {"inv": invitation.id, "tenant": tenant_id, "n": secrets.token_hex(8)},
            key=self.key,
            purpose=PURPOSE,
            expires=expires,
        )
        link = f"{self.settings.web.public_url.rstrip('/')}/agents/invitation?token={token}"
        try:
            await self.mailer.send(
                email,
                f"You are invited to join {business} on ringfence",
                f"You are invited to join {business} on ringfence as {role}.\n\n"
                f"Open this link, signed in with this address, to accept or decline:\n\n{link}\n\n"
                "No account yet? Sign up with this address and confirm it, then open the link "
                f"again. It works for {INVITATION_DAYS} days. If you do not know this business, "
                "ignore this: nothing happens unless you accept.",
                subject_ref=await self._recipient(email),
            )
        except ServiceUnavailable:
            async with tenant_session(self.db, tenant_id) as session:
                await session.execute(
                    delete(MemberInvitation).where(MemberInvitation.id == invitation.id)
                )
            raise
        async with self.db.session() as session:
            self.audit.record(
                session,
                actor_kind="subject",
                actor_id=actor.subject_ref,
                action="tenant.member.invited",
                tenant=tenant_id,
                invitation=invitation.id,
                role=role,
            )
        log.info("member_invited", tenant=tenant_id, invitation=invitation.id)

    async def pending(self, actor: Account, tenant_id: str) -> list[dict[str, Any]]:
        await self.tenants.role(actor, tenant_id, "members.manage")
        async with tenant_session(self.db, tenant_id) as session:
            rows = await session.scalars(
                select(MemberInvitation)
                .where(MemberInvitation.expires_at > self.clock.now())
                .order_by(MemberInvitation.created_at)
            )
            return [
                {
                    "id": i.id,
                    "email": i.email_masked,
                    "role": i.role,
                    "invited_at": i.created_at.isoformat(timespec="seconds"),
                    "expires_at": i.expires_at.isoformat(timespec="seconds"),
                }
                for i in rows
            ]

    async def cancel(self, actor: Account, tenant_id: str, invitation_id: str) -> None:
        await self.tenants.role(actor, tenant_id, "members.manage")
        async with tenant_session(self.db, tenant_id) as session:
            result = await session.execute(
                delete(MemberInvitation).where(MemberInvitation.id == invitation_id)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                raise NotFound("no pending invitation of this business has this id")
        async with self.db.session() as session:
            self.audit.record(
                session,
                actor_kind="subject",
                actor_id=actor.subject_ref,
                action="tenant.member.invitation_cancelled",
                tenant=tenant_id,
                invitation=invitation_id,
            )

    # -- the invitee's side --------------------------------------------------------------------

    async def _business(self, tenant_id: str) -> str:
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFound(GONE)
        return tenant.name

    def _open(self, token: str) -> dict[str, Any]:
        data = unseal(token, key=self.key, purpose=PURPOSE, now=self.clock.now())
        if not all(isinstance(data.get(k), str) for k in ("inv", "tenant", "n")):
            raise Forbidden("this invitation link is not valid")
        return data

    async def _theirs(self, session: Any, account: Account, invitation_id: str) -> MemberInvitation:
        """The pending invitation, if it was sent to ``account``'s address."""
        invitation: MemberInvitation | None = await session.scalar(
            select(MemberInvitation).where(
                MemberInvitation.id == invitation_id,
                MemberInvitation.expires_at > self.clock.now(),
            )
        )
        if invitation is None:
            raise NotFound(GONE)
        if invitation.email_hash != account.email_hash:
            raise Forbidden(
                "this invitation was sent to another address: sign in with the account of the "
                "address it was sent to"
            )
        return invitation

    async def show(self, account: Account, token: str) -> Invited:
        data = self._open(token)
        async with tenant_session(self.db, data["tenant"]) as session:
            invitation = await self._theirs(session, account, data["inv"])
        return Invited(
            invitation=invitation.id,
            tenant=data["tenant"],
            business=await self._business(data["tenant"]),
            role=invitation.role,
            expires_at=invitation.expires_at,
        )

    async def answer(self, account: Account, token: str, *, accept: bool) -> str:
        """Accept (the membership is created) or decline; either way the link is spent and the
        invitation gone. The tenant's id."""
        data = self._open(token)
        tenant_id: str = data["tenant"]
        async with tenant_session(self.db, tenant_id) as session:
            invitation = await self._theirs(session, account, data["inv"])
            async with own_role_session(session) as own:
                await spend_once(
                    own,
                    f"{PURPOSE}:{data['inv']}:{data['n']}",
                    expires=invitation.expires_at,
                    refusal="this invitation link was already used",
                )
                if accept:
                    try:
                        async with own.begin_nested():
                            own.add(
                                Membership(
                                    tenant_id=tenant_id,
                                    account_id=account.id,
                                    subject_ref=account.subject_ref,
                                    role=invitation.role,
                                    created_at=self.clock.now(),
                                )
                            )
                    except IntegrityError:
                        raise Conflict("you are already a member of this business") from None
                self.audit.record(
                    own,
                    actor_kind="subject",
                    actor_id=account.subject_ref,
                    action="tenant.member.added" if accept else "tenant.member.declined",
                    subject_ref=account.subject_ref,
                    tenant=tenant_id,
                    invitation=invitation.id,
                    role=invitation.role,
                )
            await session.delete(invitation)
        log.info("member_invitation_answered", tenant=tenant_id, accepted=accept)
        return tenant_id
