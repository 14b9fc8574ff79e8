"""initial schema: devices, interfaces, links, history, alarms, service orders

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21 20:21:10.766809
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alarms",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("reduction_key", sa.String(length=400), nullable=False),
        sa.Column("managed_object", sa.String(length=400), nullable=False),
        sa.Column("alarm_type", sa.String(length=64), nullable=False),
        sa.Column("probable_cause", sa.String(length=128), nullable=False),
        sa.Column("specific_problem", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("ack_user", sa.String(length=128), nullable=True),
        sa.Column("ack_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("repeat_count", sa.Integer(), nullable=False),
        sa.Column("root_cause_id", sa.String(length=64), nullable=True),
        sa.Column("affected_resources", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["root_cause_id"], ["alarms.id"], name=op.f("fk_alarms_root_cause_id_alarms"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
    )
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.create_index("ix_alarms_reduction_key_state", ["reduction_key", "state"], unique=False)

    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("site", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("vendor", sa.String(length=128), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("os_version", sa.String(length=128), nullable=False),
        sa.Column("serial", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("name", name=op.f("uq_devices_name")),
    )
    op.create_table(
        "inventory_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_changes")),
    )
    with op.batch_alter_table("inventory_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_changes_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_changes_device"), ["device"], unique=False)

    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_key", sa.String(length=400), nullable=False),
        sa.Column("a_device", sa.String(length=64), nullable=False),
        sa.Column("a_interface", sa.String(length=128), nullable=False),
        sa.Column("b_device", sa.String(length=64), nullable=False),
        sa.Column("b_interface", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
        sa.UniqueConstraint("link_key", name="uq_links_link_key"),
    )
    op.create_table(
        "service_orders",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_orders")),
    )
    with op.batch_alter_table("service_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_orders_external_id"), ["external_id"], unique=False)

    op.create_table(
        "interfaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("if_index", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("if_type", sa.String(length=64), nullable=False),
        sa.Column("speed_bps", sa.BigInteger(), nullable=True),
        sa.Column("mtu", sa.Integer(), nullable=True),
        sa.Column("mac", sa.String(length=32), nullable=True),
        sa.Column("admin_up", sa.Boolean(), nullable=False),
        sa.Column("oper_status", sa.String(length=32), nullable=False),
        sa.Column("last_change", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_interfaces_device_id_devices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interfaces")),
        sa.UniqueConstraint("device_id", "name", name="uq_interfaces_device_id_name"),
    )
    with op.batch_alter_table("interfaces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interfaces_device_id"), ["device_id"], unique=False)

    op.create_table(
        "service_order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("service_spec", sa.String(length=128), nullable=False),
        sa.Column("characteristics", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["service_orders.id"],
            name=op.f("fk_service_order_items_order_id_service_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_order_items")),
        sa.UniqueConstraint("order_id", "item_id", name="uq_service_order_items_order_id_item_id"),
    )
    with op.batch_alter_table("service_order_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_order_items_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_order_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_order_items_order_id"))

    op.drop_table("service_order_items")
    with op.batch_alter_table("interfaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interfaces_device_id"))

    op.drop_table("interfaces")
    with op.batch_alter_table("service_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_orders_external_id"))

    op.drop_table("service_orders")
    op.drop_table("links")
    with op.batch_alter_table("inventory_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_changes_device"))
        batch_op.drop_index(batch_op.f("ix_inventory_changes_at"))

    op.drop_table("inventory_changes")
    op.drop_table("devices")
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_index("ix_alarms_reduction_key_state")

    op.drop_table("alarms")
