"""latency probe samples; the severity an alarm had when it cleared

Revision ID: 0006_latency
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_latency"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "perf_latency_samples",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("probe", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=253), nullable=False),
        sa.Column("address", sa.String(length=253), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("rtt_min_ms", sa.Float(), nullable=True),
        sa.Column("rtt_avg_ms", sa.Float(), nullable=True),
        sa.Column("rtt_max_ms", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perf_latency_samples")),
    )
    with op.batch_alter_table("perf_latency_samples", schema=None) as batch_op:
        batch_op.create_index("ix_perf_latency_samples_probe_ts", ["probe", "ts"], unique=False)
        batch_op.create_index(batch_op.f("ix_perf_latency_samples_ts"), ["ts"], unique=False)
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cleared_severity", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_column("cleared_severity")
    with op.batch_alter_table("perf_latency_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_perf_latency_samples_ts"))
        batch_op.drop_index("ix_perf_latency_samples_probe_ts")
    op.drop_table("perf_latency_samples")
