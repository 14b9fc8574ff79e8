"""billing sees changes recorded late: subscription revisions, those each bill saw, and each outage's

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bss_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("bss_bill_cycles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seen", sa.JSON(), nullable=True))
    with op.batch_alter_table("bss_outages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bss_outages", schema=None) as batch_op:
        batch_op.drop_column("revision")
    with op.batch_alter_table("bss_bill_cycles", schema=None) as batch_op:
        batch_op.drop_column("seen")
    with op.batch_alter_table("bss_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("revision")
