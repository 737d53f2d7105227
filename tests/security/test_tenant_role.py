"""The role a tenant-scoped transaction runs under on PostgreSQL may touch only the tenant tables
(each bound by row-level security) and its own do-not-call entries: not accounts, sessions, data
keys or any other platform table, even with raw SQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ringfence.store import Database
from ringfence.store.schema import target_metadata
from ringfence.tenants.scoping import TENANT_ROLE, tenant_session

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True),
]

TENANT_TABLES = {
    "agent_calls", "agent_knowledge", "agent_recordings", "agents", "campaign_attempts",
    "campaign_calls", "campaigns", "contact_lists", "contacts", "custom_voices",
    "evaluation_calls", "tenant_numbers", "tenant_invitations", "tenant_rights_notices",
    "agent_tools", "agent_webhooks", "agent_webhook_deliveries", "agent_signing_secrets",
}  # fmt: skip


async def test_the_tenant_role_holds_privileges_on_tenant_tables_only(db: Database) -> None:
    tables = set(target_metadata().tables)
    async with db.session() as session:
        granted = {
            table
            for table in tables
            if (
                await session.execute(
                    text("select has_table_privilege(:role, :table, 'SELECT')"),
                    {"role": TENANT_ROLE, "table": table},
                )
            ).scalar()
        }
    assert granted == TENANT_TABLES | {"do_not_call"}


@pytest.mark.parametrize(
    "table", ["accounts", "account_sessions", "data_keys", "caller_ids", "ledger_entries",
              "rights_requests", "tenant_memberships", "audit_log", "payments"],
)  # fmt: skip
async def test_a_tenant_scoped_transaction_cannot_read_platform_tables(
    db: Database, table: str
) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        async with tenant_session(db, "t-one") as session:
            await session.execute(text(f"select * from {table}"))  # noqa: S608 - fixed names


async def test_do_not_call_entries_of_other_businesses_are_out_of_reach(db: Database) -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    insert = text(
        "insert into do_not_call (id, scope, number_hash, source, added_at) "
        "values (:id, :scope, :hash, 'import', :at)"
    )
    async with db.session() as session:
        for i, scope in enumerate(("t-one", "t-two", "national")):
            await session.execute(
                insert, {"id": f"d{i}", "scope": scope, "hash": f"h{i}", "at": now}
            )
    async with tenant_session(db, "t-one") as session:
        seen = set((await session.execute(text("select scope from do_not_call"))).scalars())
    assert seen == {"t-one", "national"}
    with pytest.raises(DBAPIError, match="row-level security"):
        async with tenant_session(db, "t-one") as session:
            await session.execute(insert, {"id": "d9", "scope": "t-two", "hash": "h9", "at": now})
