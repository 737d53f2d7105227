"""Row-level security for a migration's new tenant tables, as revision 0010 set it up: rows are
seen and written only under the transaction's ``app.tenant_id`` (PostgreSQL only; SQLite's
scoping is in the query layer). The tenant role may touch a table only once it is enabled here
(revision 0017 took every other grant away): least privilege, table by table."""

from __future__ import annotations

from alembic import op


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


TENANT_ROLE = "ringfence_tenant"


def enable(*tables: str) -> None:
    if not _postgres():
        return
    for table in tables:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {TENANT_ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (tenant_id = current_setting('app.tenant_id', true)) "
            "WITH CHECK (tenant_id = current_setting('app.tenant_id', true))"
        )


def disable(*tables: str) -> None:
    if not _postgres():
        return
    for table in tables:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
