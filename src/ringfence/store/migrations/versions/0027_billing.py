"""low-balance e-mail choices

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ringfence.store.base

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "low_balance_alerts",
        sa.Column("subject_ref", sa.String(length=60), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column("armed", sa.Boolean(), nullable=False),
        sa.Column("alerted_at", ringfence.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("subject_ref", name=op.f("pk_low_balance_alerts")),
    )


def downgrade() -> None:
    op.drop_table("low_balance_alerts")
