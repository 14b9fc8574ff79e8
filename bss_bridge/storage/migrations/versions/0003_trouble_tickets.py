"""trouble tickets (TMF621)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bss_trouble_tickets",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=64), nullable=False),
        sa.Column("ticket_type", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outage_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bss_customers.id"], name=op.f("fk_bss_trouble_tickets_customer_id_bss_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_trouble_tickets")),
        sa.UniqueConstraint("external_id", name=op.f("uq_bss_trouble_tickets_external_id")),
    )
    with op.batch_alter_table("bss_trouble_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_trouble_tickets_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_trouble_tickets_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bss_trouble_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_trouble_tickets_status"))
        batch_op.drop_index(batch_op.f("ix_bss_trouble_tickets_customer_id"))
    op.drop_table("bss_trouble_tickets")
