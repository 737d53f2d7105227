"""caller ids move to accounts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 03:50:00.000000

The numbers an account proved it answers are the account's, used by every service that places
calls for it, so their table drops the ``dial_`` prefix. Rows are kept as they are.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _rename(old: str, new: str) -> None:
    op.drop_index(f"ix_{old}_subject_ref", table_name=old)
    op.rename_table(old, new)
    op.create_index(f"ix_{new}_subject_ref", new, ["subject_ref"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT pk_{old} TO pk_{new}")


def upgrade() -> None:
    _rename("dial_caller_ids", "caller_ids")


def downgrade() -> None:
    _rename("caller_ids", "dial_caller_ids")
