"""a campaign contact's call-back time

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-02 17:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ringfence.store.base

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "call_back_at", ringfence.store.base.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign_calls", schema=None) as batch_op:
        batch_op.drop_column("call_back_at")
