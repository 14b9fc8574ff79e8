"""Inventory state: device reachability, configurations per datastore, longer hub resource ids

Devices keep what polls, traps and discovery last observed (reachable, since when); configuration
versions are numbered per device and datastore (the native running configuration, NETCONF's running
datastore); the hub outbox names TMF639 resources (``pe1:eth1``, ``pe1|bgp|10.0.0.2``), longer than
an alarm id.

Revision ID: 0007_inventory_state
Revises: 0006_latency
Create Date: 2026-11-30 11:37:54.283144
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oss_agent.storage.orm import UtcDateTime

revision = "0007_inventory_state"
down_revision = "0006_latency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("datastore", sa.String(length=32), server_default="running", nullable=False))
        batch_op.drop_constraint(batch_op.f("uq_config_versions_device_version"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_config_versions_device_datastore_version", ["device", "datastore", "version"]
        )

    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reachable", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("state_changed_at", UtcDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("hub_outbox", schema=None) as batch_op:
        batch_op.alter_column(
            "resource_id", existing_type=sa.String(length=64), type_=sa.String(length=400), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("hub_outbox", schema=None) as batch_op:
        batch_op.alter_column(
            "resource_id", existing_type=sa.String(length=400), type_=sa.String(length=64), existing_nullable=False
        )

    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("state_changed_at")
        batch_op.drop_column("reachable")

    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_config_versions_device_datastore_version", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_config_versions_device_version"), ["device", "version"])
        batch_op.drop_column("datastore")
