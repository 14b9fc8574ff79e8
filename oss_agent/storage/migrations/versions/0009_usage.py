"""usage (TMF635): published records and one meter per measured service

Revision ID: 0009_usage
Revises: 0008_provisioning
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_usage"
down_revision = "0008_provisioning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("usage_id", sa.String(length=200), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("interval_start", sa.Float(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("usage_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("measured_s", sa.Float(), nullable=False),
        sa.Column("interfaces", sa.JSON(), nullable=False),
        sa.Column("inbound_octets", sa.BigInteger(), nullable=True),
        sa.Column("outbound_octets", sa.BigInteger(), nullable=True),
        sa.Column("inbound_mbps", sa.String(length=32), nullable=True),
        sa.Column("outbound_mbps", sa.String(length=32), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_records")),
        sa.UniqueConstraint("usage_id", name=op.f("uq_usage_records_usage_id")),
    )
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_records_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_usage_records_usage_date"), ["usage_date"], unique=False)
        batch_op.create_index("ix_usage_records_service_id_usage_date", ["service_id", "usage_date"], unique=False)
    op.create_table(
        "usage_meters",
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("interfaces", sa.JSON(), nullable=False),
        sa.Column("rate_samples", sa.Boolean(), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
        sa.Column("until", sa.Float(), nullable=True),
        sa.Column("next_volume", sa.Float(), nullable=True),
        sa.Column("next_rate", sa.Float(), nullable=True),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_usage_meters")),
    )
    with op.batch_alter_table("usage_meters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_meters_finished"), ["finished"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_meters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_meters_finished"))
    op.drop_table("usage_meters")
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_records_service_id_usage_date")
        batch_op.drop_index(batch_op.f("ix_usage_records_usage_date"))
        batch_op.drop_index(batch_op.f("ix_usage_records_kind"))
    op.drop_table("usage_records")
