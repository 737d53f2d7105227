"""Businesses and their members: create a business, list its members, and find the role of the
account asking, which every tenant route checks before it opens a scoped session. Members join
only by accepting an invitation (``tenants.invitations``), and leave or are removed, and a
business is closed, through ``tenants.lifecycle``. The operator finds businesses and suspends
them: a suspended (or closed) business's agents neither answer nor dial (``suspended``), and
the outbound gate refuses its calls. A closed business is read-only until its data is purged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.accounts.addresses import Addresses
from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import Conflict, Forbidden, InvalidInput, NotFound
from ringfence.privacy.audit import Audit
from ringfence.store.database import Database
from ringfence.tenants.keys import Grant, Principal
from ringfence.tenants.models import Membership, Tenant
from ringfence.tenants.roles import require

PAGE = 50
# What a member may still do in a closed business, until its data is purged.
READ_ONLY = frozenset({"agents.read", "calls.read", "recordings.read"})


@dataclass(frozen=True)
class Listed:
    """A business as the operator's list shows it."""

    tenant: Tenant
    members: int


async def suspended(session: AsyncSession, tenant_id: str) -> bool:
    """Whether the operator suspended the business, or it was closed."""
    tenant = await session.get(Tenant, tenant_id)
    return tenant is not None and tenant.halted


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at else None


def closed_notice(tenant: Tenant) -> str:
    """What a refused change in a closed business says."""
    until = tenant.purge_at.date().isoformat() if tenant.purge_at else "soon"
    return f"this business is closed: nothing can be changed, and its data is deleted on {until}"


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

    async def mine(self, account: Account) -> list[dict[str, str | None]]:
        async with self.db.session() as session:
            rows = await session.execute(
                select(Tenant, Membership.role)
                .join(Membership, Membership.tenant_id == Tenant.id)
                .where(Membership.account_id == account.id)
                .order_by(Tenant.created_at)
            )
            return [
                {"id": t.id, "name": t.name, "role": role, "purge_at": _iso(t.purge_at)}
                for t, role in rows.all()
            ]

    async def role(self, account: Principal, tenant_id: str, permission: str) -> str:
        """The account's role in the tenant, if it grants ``permission``; NotFound when the
        account is not a member (the tenant's existence is not revealed). A business's API key
        (``Grant``) acts only in its own business and within its scopes ("api-key")."""
        if isinstance(account, Grant):
            if account.tenant_id != tenant_id:
                raise NotFound("no business of yours has this id")
            if permission not in account.permissions:
                raise Forbidden(f"this API key's scopes do not allow this ({permission})")
            return "api-key"
        async with self.db.session() as session:
            found = (
                await session.execute(
                    select(Membership.role, Tenant)
                    .join(Tenant, Tenant.id == Membership.tenant_id)
                    .where(Membership.tenant_id == tenant_id, Membership.account_id == account.id)
                )
            ).first()
        if found is None:
            raise NotFound("no business of yours has this id")
        role, tenant = found
        require(role, permission)
        if tenant.closed_at is not None and permission not in READ_ONLY:
            raise Conflict(closed_notice(tenant))
        return str(role)

    async def closed(self, tenant_id: str) -> Tenant | None:
        """The business, when it is closed (members are told when its data goes)."""
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
        return tenant if tenant is not None and tenant.closed_at is not None else None

    async def members(
        self, actor: Account, tenant_id: str, addresses: Addresses
    ) -> list[dict[str, str]]:
        """The members with their addresses (decrypted by ``addresses``) and roles."""
        await self.role(actor, tenant_id, "members.manage")
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(Membership.id, Account, Membership.role)
                    .join(Membership, Membership.account_id == Account.id)
                    .where(Membership.tenant_id == tenant_id)
                    .order_by(Membership.created_at)
                )
            ).all()
            return [
                {"id": i, "email": await addresses.read(session, account), "role": role}
                for i, account, role in rows
            ]

    # -- the operator's ------------------------------------------------------------------------

    async def search(self, query: str = "", *, limit: int = PAGE) -> Sequence[Listed]:
        """Businesses whose name contains ``query`` (all when empty), newest first."""
        members = (
            select(func.count())
            .select_from(Membership)
            .where(Membership.tenant_id == Tenant.id)
            .scalar_subquery()
        )
        statement = select(Tenant, members).order_by(Tenant.created_at.desc()).limit(limit)
        text = query.strip()[:120]
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where(
                func.lower(Tenant.name).like(f"%{escaped.lower()}%", escape="\\")
            )
        async with self.db.session() as session:
            rows = await session.execute(statement)
            return [Listed(tenant, int(count or 0)) for tenant, count in rows.all()]

    async def set_suspended(self, tenant_id: str, suspend: bool, actor: Account) -> Tenant:
        """Suspend the business (its agents neither answer nor dial) or lift that."""
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None:
                raise NotFound("no such business")
            if tenant.closed_at is not None:
                raise Conflict(closed_notice(tenant))
            if suspend:
                tenant.suspended_at = tenant.suspended_at or self.clock.now()
            else:
                tenant.suspended_at = None
            self.audit.record(
                session,
                actor_kind="operator",
                actor_id=actor.id,
                action="admin.tenant." + ("suspended" if suspend else "reinstated"),
                tenant=tenant.id,
            )
            return tenant
