"""Tenant scoping: every query in a ``tenant_session`` sees and writes only that tenant's rows.

Two layers, so a mistake in one is caught by the other. In the query layer (both engines): ORM
selects, updates and deletes of ``TenantScoped`` classes get ``tenant_id = :tenant`` added, and a
flush refuses a row of another tenant. On PostgreSQL also row-level security: the transaction
sets ``app.tenant_id`` with ``set_config(..., true)`` (transaction-local, so a pooled connection
never carries it to the next user) and switches to the ``ringfence_tenant`` role, which the
policies of every tenant table bind, so even raw SQL cannot cross. On SQLite raw SQL is not
scoped: tenant data is read and written through the ORM only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from ringfence.errors import Forbidden
from ringfence.store.database import RESTRICTED, Database
from ringfence.tenants.models import TenantScoped

TENANT_ROLE = "ringfence_tenant"
_KEY = "tenant_id"


@asynccontextmanager
async def tenant_session(db: Database, tenant_id: str) -> AsyncIterator[AsyncSession]:
    """A session in a transaction scoped to one tenant (commits on success)."""
    async with db.sessionmaker() as session, session.begin():
        session.info[_KEY] = tenant_id
        if db.dialect == "postgresql":
            await session.execute(
                text("select set_config('app.tenant_id', :t, true)"), {"t": tenant_id}
            )
            await session.execute(text(f"set local role {TENANT_ROLE}"))
            session.info[RESTRICTED] = True
        yield session


@event.listens_for(Session, "do_orm_execute")
def _scope_statements(state: ORMExecuteState) -> None:
    tenant = state.session.info.get(_KEY)
    if tenant is None or not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.tenant_id == tenant,
            include_aliases=True,
        )
    )


@event.listens_for(Session, "before_flush")
def _stamp_rows(session: Session, _context: Any, _instances: Any) -> None:
    tenant = session.info.get(_KEY)
    if tenant is None:
        return
    for row in session.new:
        if isinstance(row, TenantScoped):
            if getattr(row, "tenant_id", None) in (None, tenant):
                row.tenant_id = tenant
            else:
                raise Forbidden("a row of another business cannot be written here")
    for row in session.dirty:
        if isinstance(row, TenantScoped) and row.tenant_id != tenant:
            raise Forbidden("a row of another business cannot be changed here")
