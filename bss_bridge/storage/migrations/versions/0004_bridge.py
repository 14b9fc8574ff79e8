"""the bridge: inbox, requests to the OSS, service links, incidents, hub listeners

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
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
        "bss_bridge_alarm_links",
        sa.Column("alarm_id", sa.String(length=64), nullable=False),
        sa.Column("incident", sa.String(length=160), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("alarm_id", "incident", name=op.f("pk_bss_bridge_alarm_links")),
    )
    op.create_table(
        "bss_bridge_alarms",
        sa.Column("alarm_id", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alarm_id", name=op.f("pk_bss_bridge_alarms")),
    )
    op.create_table(
        "bss_bridge_inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_bridge_inbox")),
        sa.UniqueConstraint("source", "event_id", name="uq_bss_bridge_inbox_source_event"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("bss_bridge_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_bss_bridge_inbox_pending", ["source", "processed_at", "id"], unique=False)

    op.create_table(
        "bss_bridge_incidents",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("alarm_id", sa.String(length=64), nullable=False),
        sa.Column("subscriptions", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ticket_id", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("synced_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bss_bridge_incidents")),
    )
    with op.batch_alter_table("bss_bridge_incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_bridge_incidents_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "bss_bridge_listeners",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("hub", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.String(length=128), nullable=True),
        sa.Column("callback", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_bss_bridge_listeners")),
    )
    op.create_table(
        "bss_bridge_requests",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("product_order_id", sa.String(length=64), nullable=True),
        sa.Column("item_id", sa.String(length=64), nullable=True),
        sa.Column("subscription_id", sa.String(length=64), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("service_order_id", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bss_bridge_requests")),
    )
    with op.batch_alter_table("bss_bridge_requests", schema=None) as batch_op:
        batch_op.create_index("ix_bss_bridge_requests_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_bridge_requests_product_order_id"), ["product_order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_bridge_requests_subscription_id"), ["subscription_id"], unique=False)

    op.create_table(
        "bss_bridge_services",
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("service_spec", sa.String(length=64), nullable=False),
        sa.Column("network_state", sa.String(length=16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", name=op.f("pk_bss_bridge_services")),
    )
    with op.batch_alter_table("bss_bridge_services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_bridge_services_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_bridge_services_service_id"), ["service_id"], unique=False)

    op.create_table(
        "bss_bridge_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_bss_bridge_state")),
    )


def downgrade() -> None:
    op.drop_table("bss_bridge_state")
    with op.batch_alter_table("bss_bridge_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_bridge_services_service_id"))
        batch_op.drop_index(batch_op.f("ix_bss_bridge_services_customer_id"))

    op.drop_table("bss_bridge_services")
    with op.batch_alter_table("bss_bridge_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_bridge_requests_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_bss_bridge_requests_product_order_id"))
        batch_op.drop_index("ix_bss_bridge_requests_due")

    op.drop_table("bss_bridge_requests")
    op.drop_table("bss_bridge_listeners")
    with op.batch_alter_table("bss_bridge_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_bridge_incidents_customer_id"))

    op.drop_table("bss_bridge_incidents")
    with op.batch_alter_table("bss_bridge_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_bss_bridge_inbox_pending")

    op.drop_table("bss_bridge_inbox")
    op.drop_table("bss_bridge_alarms")
    op.drop_table("bss_bridge_alarm_links")
