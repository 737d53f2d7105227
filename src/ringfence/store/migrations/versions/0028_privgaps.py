"""dial: the rung number's subject reference on each call, so its holder's request finds it

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 17:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dial_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("callee_ref", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_dial_calls_callee_ref"), ["callee_ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dial_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dial_calls_callee_ref"))
        batch_op.drop_column("callee_ref")
