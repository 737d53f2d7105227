"""low-balance e-mail choices, usage prices (agent minutes, campaign calls), tenant quotas

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-02 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ringfence.store.base

revision = "0029"
down_revision = "0028"
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
    op.create_table(
        "usage_prices",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("updated_at", ringfence.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_usage_prices")),
    )
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("minutes_per_month", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("minutes_per_month")
    op.drop_table("usage_prices")
    op.drop_table("low_balance_alerts")
