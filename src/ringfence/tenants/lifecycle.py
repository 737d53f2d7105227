"""A business's life after it starts: members removed or leaving, and its closure.

- A member who may manage members removes another (an admin never removes an owner); a member
  leaves on their own. Their membership goes at once (its category: "removed with you"); what
  they did in the business (agents, calls) is the business's and stays.
- An open business always keeps an owner: the last owner can neither leave nor be removed,
  nor delete their account, until another member is made owner (invited as one) or the business
  is closed (``sole_owned`` is what account deletion asks).
- Closing, by an owner or the operator, confirmed by typing the business's name: from that
  moment its agents answer no number and dial no campaign (``Tenant.halted``), its pending
  invitations go, and the end of everything kept "while the business uses the service"
  (``subscription_plus`` categories, such as custom voices) is written on each row, counted
  from the closure. Members may still read what it kept until ``purge_at``; then the sweeper's
  ``closed_business`` category deletes every row of the business and the keys only it used.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import Conflict, Forbidden, InvalidInput, NotFound
from ringfence.privacy.audit import Audit
from ringfence.privacy.inventory import Inventory
from ringfence.store.database import Database
from ringfence.store.schema import target_metadata
from ringfence.tenants.models import CLOSED_BUSINESS, MemberInvitation, Membership, Tenant
from ringfence.tenants.service import Tenants

OWNER = "owner"
LAST_OWNER = (
    "{name} would have no owner: invite another member as owner first, or close the business"
)


async def sole_owned(session: AsyncSession, account_id: str) -> list[str]:
    """The names of the open businesses whose only owner is the account."""
    each = aliased(Membership)
    owners = (
        select(func.count())
        .select_from(each)
        .where(each.tenant_id == Tenant.id, each.role == OWNER)
        .scalar_subquery()
    )
    rows = await session.scalars(
        select(Tenant.name)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(
            Membership.account_id == account_id,
            Membership.role == OWNER,
            Tenant.closed_at.is_(None),
            owners == 1,
        )
        .order_by(Tenant.name)
    )
    return list(rows.all())


def refuse_sole_owner(names: list[str]) -> None:
    """Conflict naming the businesses an account alone owns (before it is deleted)."""
    if names:
        raise Conflict(LAST_OWNER.format(name=", ".join(names)))


class Lifecycle:
    def __init__(self, db: Database, inventory: Inventory, clock: Clock) -> None:
        self.db = db
        self.inventory = inventory
        self.clock = clock
        self.tenants = Tenants(db, clock)
        self.audit = Audit(clock)

    @property
    def keep_days(self) -> int:
        """How long a closed business's data is kept before it is purged."""
        return self.inventory[CLOSED_BUSINESS].retention.days or 0

    # -- members ---------------------------------------------------------------------------

    async def remove_member(self, actor: Account, tenant_id: str, membership_id: str) -> None:
        """Another member out of the business, by a member who may manage members."""
        role = await self.tenants.role(actor, tenant_id, "members.manage")
        async with self.db.session() as session:
            member = await session.get(Membership, membership_id[:32])
            if member is None or member.tenant_id != tenant_id:
                raise NotFound("no member of this business has this id")
            if member.account_id == actor.id:
                raise InvalidInput("to leave the business, use Leave")
            if member.role == OWNER and role != OWNER:
                raise Forbidden("only an owner may remove an owner")
            await self._drop(session, member, actor, "tenant.member.removed")

    async def leave(self, account: Account, tenant_id: str) -> None:
        """The account's own membership, given up."""
        await self.tenants.role(account, tenant_id, "agents.read")
        async with self.db.session() as session:
            member = await session.scalar(
                select(Membership).where(
                    Membership.tenant_id == tenant_id, Membership.account_id == account.id
                )
            )
            if member is None:
                raise NotFound("no business of yours has this id")
            await self._drop(session, member, account, "tenant.member.left")

    async def _drop(
        self, session: AsyncSession, member: Membership, actor: Account, action: str
    ) -> None:
        if member.role == OWNER:
            # The tenant's row is locked first, so two owners leaving at once cannot both go.
            tenant = await session.get(Tenant, member.tenant_id, with_for_update=True)
            owners = await session.scalar(
                select(func.count()).where(
                    Membership.tenant_id == member.tenant_id, Membership.role == OWNER
                )
            )
            # (A closed business needs no owner any more: its last one may go too.)
            if tenant is not None and tenant.closed_at is None and int(owners or 0) <= 1:
                raise Conflict(LAST_OWNER.format(name=tenant.name))
        await session.delete(member)
        self.audit.record(
            session,
            actor_kind="account",
            actor_id=actor.id,
            action=action,
            tenant=member.tenant_id,
            membership=member.id,
        )

    # -- closure ---------------------------------------------------------------------------

    async def close(
        self, actor: Account, tenant_id: str, confirm: str, *, operator: bool = False
    ) -> Tenant:
        """Close the business: ``confirm`` is its name, typed. An owner closes their own; the
        operator (``operator``) any."""
        if not operator:
            await self.tenants.role(actor, tenant_id, "tenant.manage")
        now = self.clock.now()
        async with self.db.session() as session:
            tenant = await session.get(Tenant, tenant_id[:32], with_for_update=True)
            if tenant is None:
                raise NotFound(
                    "no such business" if operator else "no business of yours has this id"
                )
            if tenant.closed_at is not None:
                raise Conflict("this business is already closed")
            if " ".join(confirm.split()).casefold() != " ".join(tenant.name.split()).casefold():
                raise InvalidInput("type the business's name exactly to confirm the closure")
            tenant.closed_at = now
            tenant.purge_at = now + dt.timedelta(days=self.keep_days)
            await session.execute(
                delete(MemberInvitation).where(MemberInvitation.tenant_id == tenant.id)
            )
            ends = await self._end_subscription(session, tenant.id, now)
            self.audit.record(
                session,
                actor_kind="operator" if operator else "account",
                actor_id=actor.id,
                action="tenant.closed",
                tenant=tenant.id,
                purge_at=tenant.purge_at.isoformat(timespec="seconds"),
                ends_written=ends,
            )
            return tenant

    async def _end_subscription(
        self, session: AsyncSession, tenant_id: str, now: dt.datetime
    ) -> int:
        """Write each row's end where a category keeps it "while the business uses the
        service, and N days after": N days from now. Returns how many rows got one."""
        tables = target_metadata().tables
        written = 0
        for category in self.inventory:
            retention = category.retention
            table = tables.get(category.table or "")
            if retention.rule != "subscription_plus" or table is None or "tenant_id" not in table.c:
                continue
            end = now + dt.timedelta(days=retention.days or 0)
            column = table.c[category.expires_field]
            result = await session.execute(
                update(table)
                .where(table.c.tenant_id == tenant_id, or_(column.is_(None), column > end))
                .values({category.expires_field: end})
            )
            written += int(result.rowcount or 0)  # type: ignore[attr-defined]
        return written
