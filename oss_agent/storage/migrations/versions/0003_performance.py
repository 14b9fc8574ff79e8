"""performance samples and rollups

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 20:47:31.794260
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
        "perf_device_samples",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("response_ms", sa.Float(), nullable=True),
        sa.Column("cpu_pct", sa.Float(), nullable=True),
        sa.Column("mem_used_pct", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perf_device_samples")),
    )
    with op.batch_alter_table("perf_device_samples", schema=None) as batch_op:
        batch_op.create_index("ix_perf_device_samples_device_ts", ["device", "ts"], unique=False)
        batch_op.create_index(batch_op.f("ix_perf_device_samples_ts"), ["ts"], unique=False)

    op.create_table(
        "perf_interface_samples",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("interface", sa.String(length=128), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("in_bps", sa.Float(), nullable=False),
        sa.Column("out_bps", sa.Float(), nullable=False),
        sa.Column("in_pps", sa.Float(), nullable=False),
        sa.Column("out_pps", sa.Float(), nullable=False),
        sa.Column("in_errors_ps", sa.Float(), nullable=False),
        sa.Column("out_errors_ps", sa.Float(), nullable=False),
        sa.Column("in_discards_ps", sa.Float(), nullable=False),
        sa.Column("out_discards_ps", sa.Float(), nullable=False),
        sa.Column("in_util", sa.Float(), nullable=True),
        sa.Column("out_util", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perf_interface_samples")),
    )
    with op.batch_alter_table("perf_interface_samples", schema=None) as batch_op:
        batch_op.create_index(
            "ix_perf_interface_samples_device_interface_ts", ["device", "interface", "ts"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_perf_interface_samples_ts"), ["ts"], unique=False)

    op.create_table(
        "perf_rollups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("interface", sa.String(length=128), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("period_s", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("avg", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perf_rollups")),
        sa.UniqueConstraint("device", "interface", "metric", "period_s", "bucket", name="uq_perf_rollups_key"),
    )
    with op.batch_alter_table("perf_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_perf_rollups_period_s_bucket", ["period_s", "bucket"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("perf_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_perf_rollups_period_s_bucket")

    op.drop_table("perf_rollups")
    with op.batch_alter_table("perf_interface_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_perf_interface_samples_ts"))
        batch_op.drop_index("ix_perf_interface_samples_device_interface_ts")

    op.drop_table("perf_interface_samples")
    with op.batch_alter_table("perf_device_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_perf_device_samples_ts"))
        batch_op.drop_index("ix_perf_device_samples_device_ts")

    op.drop_table("perf_device_samples")
