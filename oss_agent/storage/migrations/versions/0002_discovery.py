"""discovery: interface addresses, neighbours, configuration versions, discovery status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "config_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_config_versions")),
        sa.UniqueConstraint("device", "version", name="uq_config_versions_device_version"),
    )
    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_config_versions_device"), ["device"], unique=False)

    op.create_table(
        "discovery_status",
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("found_from", sa.String(length=64), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("device", name=op.f("pk_discovery_status")),
    )
    op.create_table(
        "interface_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("interface", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_interface_addresses_device_id_devices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interface_addresses")),
        sa.UniqueConstraint(
            "device_id", "interface", "address", name="uq_interface_addresses_device_interface_address"
        ),
    )
    with op.batch_alter_table("interface_addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interface_addresses_device_id"), ["device_id"], unique=False)

    op.create_table(
        "device_neighbors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("neighbor_key", sa.String(length=400), nullable=False),
        sa.Column("local_interface", sa.String(length=128), nullable=True),
        sa.Column("remote_name", sa.String(length=255), nullable=False),
        sa.Column("remote_port", sa.String(length=128), nullable=False),
        sa.Column("remote_address", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("is_up", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_device_neighbors_device_id_devices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_neighbors")),
        sa.UniqueConstraint("device_id", "protocol", "neighbor_key", name="uq_device_neighbors_device_protocol_key"),
    )
    with op.batch_alter_table("device_neighbors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_neighbors_device_id"), ["device_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device_neighbors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_neighbors_device_id"))
    op.drop_table("device_neighbors")
    with op.batch_alter_table("interface_addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interface_addresses_device_id"))
    op.drop_table("interface_addresses")
    op.drop_table("discovery_status")
    with op.batch_alter_table("config_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_config_versions_device"))
    op.drop_table("config_versions")
