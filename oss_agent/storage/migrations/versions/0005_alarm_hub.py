"""TMF642 event hub: subscriptions, transactional outbox, deliveries, alarm numbers and task resources

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 21:25:12.803894
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alarm_tasks",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_tasks")),
    )
    with op.batch_alter_table("alarm_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_tasks_kind"), ["kind"], unique=False)

    op.create_table(
        "hub_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("api", sa.String(length=32), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("fanned_out", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_hub_outbox_event_id")),
    )
    with op.batch_alter_table("hub_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_outbox_fanned_out"), ["fanned_out"], unique=False)
        batch_op.create_index(batch_op.f("ix_hub_outbox_resource_id"), ["resource_id"], unique=False)

    op.create_table(
        "hub_subscriptions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("api", sa.String(length=32), nullable=False),
        sa.Column("callback", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_subscriptions")),
    )
    with op.batch_alter_table("hub_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_subscriptions_api"), ["api"], unique=False)

    op.create_table(
        "alarm_numbers",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("alarm_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_alarm_numbers_alarm_id_alarms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_alarm_numbers")),
        sa.UniqueConstraint("alarm_id", name=op.f("uq_alarm_numbers_alarm_id")),
    )
    op.create_table(
        "hub_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["hub_outbox.id"], name=op.f("fk_hub_deliveries_outbox_id_hub_outbox"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["hub_subscriptions.id"],
            name=op.f("fk_hub_deliveries_subscription_id_hub_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hub_deliveries")),
        sa.UniqueConstraint("outbox_id", "subscription_id", name="uq_hub_deliveries_outbox_subscription"),
    )
    with op.batch_alter_table("hub_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_hub_deliveries_pending", ["subscription_id", "delivered_at", "outbox_id"], unique=False
        )

    # Alarms raised before this revision get their TMF642 numbers in the order they were raised.
    op.execute(sa.text("INSERT INTO alarm_numbers (alarm_id) SELECT id FROM alarms ORDER BY raised_at, id"))


def downgrade() -> None:
    with op.batch_alter_table("hub_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_hub_deliveries_pending")

    op.drop_table("hub_deliveries")
    op.drop_table("alarm_numbers")
    with op.batch_alter_table("hub_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_subscriptions_api"))

    op.drop_table("hub_subscriptions")
    with op.batch_alter_table("hub_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hub_outbox_resource_id"))
        batch_op.drop_index(batch_op.f("ix_hub_outbox_fanned_out"))

    op.drop_table("hub_outbox")
    with op.batch_alter_table("alarm_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_tasks_kind"))

    op.drop_table("alarm_tasks")
