"""tenant role least privilege

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 03:25:00.000000

Revision 0010 granted the tenant role (the role a tenant-scoped transaction switches to) every
table, present and future, and relied on row-level security for the tenant tables alone: a
tenant-scoped connection could read accounts, sessions and the wrapped data keys. From here the
role holds privileges only on the tenant tables, each of which row-level security binds; new
tenant tables get theirs from ``rls.enable``. Data keys are read on the application's own role
(``privacy.crypto.Vault``), never under the tenant role.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TENANT_ROLE = "ringfence_tenant"
TENANT_TABLES = (
    "agent_calls",
    "agent_knowledge",
    "agent_recordings",
    "agents",
    "campaign_attempts",
    "campaign_calls",
    "campaigns",
    "contact_lists",
    "contacts",
    "custom_voices",
    "evaluation_calls",
)
DML = "SELECT, INSERT, UPDATE, DELETE"
# The do-not-call table holds each business's own list (scope = its tenant id) and the national
# registry (scope = 'national'): a tenant reads its own and the national entries and adds to its
# own, nothing else.
DO_NOT_CALL_POLICIES = (
    "CREATE POLICY tenant_reads ON do_not_call FOR SELECT "
    "USING (scope = current_setting('app.tenant_id', true) OR scope = 'national')",
    "CREATE POLICY tenant_adds ON do_not_call FOR INSERT "
    "WITH CHECK (scope = current_setting('app.tenant_id', true))",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE {DML} ON TABLES FROM {TENANT_ROLE}"
    )
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {TENANT_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {TENANT_ROLE}")
    for table in TENANT_TABLES:
        op.execute(f"GRANT {DML} ON {table} TO {TENANT_ROLE}")
    op.execute(f"GRANT SELECT, INSERT ON do_not_call TO {TENANT_ROLE}")
    op.execute("ALTER TABLE do_not_call ENABLE ROW LEVEL SECURITY")
    for policy in DO_NOT_CALL_POLICIES:
        op.execute(policy)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY IF EXISTS tenant_reads ON do_not_call")
    op.execute("DROP POLICY IF EXISTS tenant_adds ON do_not_call")
    op.execute("ALTER TABLE do_not_call DISABLE ROW LEVEL SECURITY")
    op.execute(f"GRANT {DML} ON ALL TABLES IN SCHEMA public TO {TENANT_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {DML} ON TABLES TO {TENANT_ROLE}")
