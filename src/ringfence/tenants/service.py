"""Businesses and their members: create a business, add or change members, and find the role of
the account asking, which every tenant route checks before it opens a scoped session."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import Forbidden, InvalidInput, NotFound
from ringfence.privacy.audit import Audit
from ringfence.store.database import Database
from ringfence.tenants.models import Membership, Tenant
from ringfence.tenants.roles import check_role, require


class Tenants:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.audit = Audit(clock)

    async def create(self, owner: Account, name: str) -> Tenant:
        name = name.strip()
        if not name or len(name) > 120:
            raise InvalidInput("a business needs a name of at most 120 characters")
        now = self.clock.now()
        tenant = Tenant(name=name, created_at=now)
        async with self.db.session() as session:
            session.add(tenant)
            await session.flush()
            session.add(
                Membership(
                    tenant_id=tenant.id,
                    account_id=owner.id,
                    subject_ref=owner.subject_ref,
                    role="owner",
                    created_at=now,
                )
            )
        return tenant

    async def mine(self, account: Account) -> list[dict[str, str]]:
        async with self.db.session() as session:
            rows = await session.execute(
                select(Tenant, Membership.role)
                .join(Membership, Membership.tenant_id == Tenant.id)
                .where(Membership.account_id == account.id)
                .order_by(Tenant.created_at)
            )
            return [{"id": t.id, "name": t.name, "role": role} for t, role in rows.all()]

    async def role(self, account: Account, tenant_id: str, permission: str) -> str:
        """The account's role in the tenant, if it grants ``permission``; NotFound when the
        account is not a member (the tenant's existence is not revealed)."""
        async with self.db.session() as session:
            role = await session.scalar(
                select(Membership.role).where(
                    Membership.tenant_id == tenant_id, Membership.account_id == account.id
                )
            )
        if role is None:
            raise NotFound("no business of yours has this id")
        require(role, permission)
        return role

    async def members(self, actor: Account, tenant_id: str) -> list[dict[str, str]]:
        await self.role(actor, tenant_id, "members.manage")
        async with self.db.session() as session:
            rows = await session.execute(
                select(Account.email, Membership.role)
                .join(Membership, Membership.account_id == Account.id)
                .where(Membership.tenant_id == tenant_id)
                .order_by(Membership.created_at)
            )
            return [{"email": email, "role": role} for email, role in rows.all()]

    async def add_member(
        self, actor: Account, tenant_id: str, email: str, role: str
    ) -> dict[str, str]:
        actor_role = await self.role(actor, tenant_id, "members.manage")
        check_role(role)
        if role == "owner" and actor_role != "owner":
            raise Forbidden("only an owner can make another owner")
        async with self.db.session() as session:
            member = await session.scalar(
                select(Account).where(Account.email == email.strip().lower())
            )
            if member is None:
                raise NotFound("no account has that e-mail: ask them to sign up first")
            try:
                async with session.begin_nested():
                    session.add(
                        Membership(
                            tenant_id=tenant_id,
                            account_id=member.id,
                            subject_ref=member.subject_ref,
                            role=role,
                            created_at=self.clock.now(),
                        )
                    )
            except IntegrityError:
                raise InvalidInput("that account is already a member") from None
            self.audit.record(
                session,
                actor_kind="subject",
                actor_id=actor.subject_ref,
                action="tenant.member.added",
                subject_ref=member.subject_ref,
                tenant=tenant_id,
                role=role,
            )
        return {"account": member.id, "role": role}
