"""fault events and alarm flapping

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 21:23:55.406851
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fault_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("alarm_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fault_events")),
    )
    with op.batch_alter_table("fault_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fault_events_alarm_id"), ["alarm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_fault_events_at"), ["at"], unique=False)
        batch_op.create_index("ix_fault_events_device_at", ["device", "at"], unique=False)

    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flapping", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("occurrences_in_window", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_column("occurrences_in_window")
        batch_op.drop_column("flapping")

    with op.batch_alter_table("fault_events", schema=None) as batch_op:
        batch_op.drop_index("ix_fault_events_device_at")
        batch_op.drop_index(batch_op.f("ix_fault_events_at"))
        batch_op.drop_index(batch_op.f("ix_fault_events_alarm_id"))

    op.drop_table("fault_events")
