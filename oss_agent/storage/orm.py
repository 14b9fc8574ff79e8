"""Table definitions (SQLAlchemy 2 declarative, typed). Schema changes go through Alembic migrations.

Rows are kept apart from the domain classes: repositories translate, so the domain stays free of the
ORM and the tables can be shaped for queries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class DeviceRow(Base):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    platform: Mapped[str] = mapped_column(String(32))
    site: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(64), default="")
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    vendor: Mapped[str] = mapped_column(String(128), default="")
    model: Mapped[str] = mapped_column(String(128), default="")
    os_version: Mapped[str] = mapped_column(String(128), default="")
    serial: Mapped[str] = mapped_column(String(128), default="")
    # What polls, traps and discovery last observed (None: not yet observed), and since when.
    reachable: Mapped[bool | None] = mapped_column(Boolean)
    state_changed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    interfaces: Mapped[list[InterfaceRow]] = relationship(
        back_populates="device", cascade="all, delete-orphan", passive_deletes=True
    )


class InterfaceRow(Base):
    __tablename__ = "interfaces"
    __table_args__ = (UniqueConstraint("device_id", "name", name="uq_interfaces_device_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    if_index: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(255), default="")
    if_type: Mapped[str] = mapped_column(String(64), default="")
    speed_bps: Mapped[int | None] = mapped_column(BigInteger)
    mtu: Mapped[int | None] = mapped_column(Integer)
    mac: Mapped[str | None] = mapped_column(String(32))
    admin_up: Mapped[bool] = mapped_column(Boolean, default=True)
    oper_status: Mapped[str] = mapped_column(String(32), default="unknown")
    last_change: Mapped[datetime | None]
    device: Mapped[DeviceRow] = relationship(back_populates="interfaces")


class LinkRow(Base):
    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("link_key", name="uq_links_link_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_key: Mapped[str] = mapped_column(String(400))
    a_device: Mapped[str] = mapped_column(String(64))
    a_interface: Mapped[str] = mapped_column(String(128))
    b_device: Mapped[str] = mapped_column(String(64))
    b_interface: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(32), default="lldp")
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class InventoryChangeRow(Base):
    """History of the resource inventory: one row per domain event about a device."""

    __tablename__ = "inventory_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(index=True)


class AlarmRow(Base):
    __tablename__ = "alarms"
    __table_args__ = (Index("ix_alarms_reduction_key_state", "reduction_key", "state"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reduction_key: Mapped[str] = mapped_column(String(400))
    managed_object: Mapped[str] = mapped_column(String(400))
    alarm_type: Mapped[str] = mapped_column(String(64))
    probable_cause: Mapped[str] = mapped_column(String(128))
    specific_problem: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    raised_at: Mapped[datetime]
    changed_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    ack_user: Mapped[str | None] = mapped_column(String(128))
    ack_at: Mapped[datetime | None]
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    root_cause_id: Mapped[str | None] = mapped_column(ForeignKey("alarms.id", ondelete="SET NULL"))
    affected_resources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    comments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    occurrences_in_window: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    cleared_severity: Mapped[str | None] = mapped_column(String(32))


class ServiceOrderRow(Base):
    __tablename__ = "service_orders"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    requested_start: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    commit_started_at: Mapped[datetime | None]
    category: Mapped[str] = mapped_column(String(64), default="", server_default="")
    priority: Mapped[str] = mapped_column(String(16), default="", server_default="")
    related_party: Mapped[list[Any]] = mapped_column(JSON, default=list)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cancellation_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # the activation journal's decision once every device is prepared and checked ("commit"), and
    # what the checks found (before and after the change)
    decision: Mapped[str | None] = mapped_column(String(16))
    checks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # what the order will leave on the network (services, renderings, resources), written before any
    # device changes, so that a restarted agent can finish an order it had decided to commit
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    worker: Mapped[str | None] = mapped_column(String(128))  # the process running it: host:pid:start
    items: Mapped[list[ServiceOrderItemRow]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ServiceOrderItemRow.position",
    )


class ServiceOrderItemRow(Base):
    __tablename__ = "service_order_items"
    __table_args__ = (UniqueConstraint("order_id", "item_id", name="uq_service_order_items_order_id_item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("service_orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    service_spec: Mapped[str] = mapped_column(String(128))
    characteristics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(32))
    service_id: Mapped[str | None] = mapped_column(String(64), index=True)
    service_name: Mapped[str] = mapped_column(String(128), default="", server_default="")
    depends_on: Mapped[list[Any]] = mapped_column(JSON, default=list)
    target_state: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
    order: Mapped[ServiceOrderRow] = relationship(back_populates="items")


class InterfaceAddressRow(Base):
    """An address last seen on an interface (discovery); kept apart so the interface rows stay as they are."""

    __tablename__ = "interface_addresses"
    __table_args__ = (
        UniqueConstraint("device_id", "interface", "address", name="uq_interface_addresses_device_interface_address"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    interface: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime]


class NeighborRow(Base):
    """A neighbour last seen by a device: an LLDP peer on an interface or a BGP/OSPF adjacency."""

    __tablename__ = "device_neighbors"
    __table_args__ = (
        UniqueConstraint("device_id", "protocol", "neighbor_key", name="uq_device_neighbors_device_protocol_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    protocol: Mapped[str] = mapped_column(String(16))
    neighbor_key: Mapped[str] = mapped_column(String(400))
    local_interface: Mapped[str | None] = mapped_column(String(128))
    remote_name: Mapped[str] = mapped_column(String(255), default="")
    remote_port: Mapped[str] = mapped_column(String(128), default="")
    remote_address: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32), default="")
    is_up: Mapped[bool] = mapped_column(Boolean, default=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class ConfigVersionRow(Base):
    """One stored version of one of a device's configurations (its ``datastore``: the native running
    configuration or NETCONF's); a new row only when the normalized text changed. Versions are
    numbered per device and datastore.

    Keyed by device name, not a foreign key: the configuration history outlives a device's removal.
    """

    __tablename__ = "config_versions"
    __table_args__ = (
        UniqueConstraint("device", "datastore", "version", name="uq_config_versions_device_datastore_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device: Mapped[str] = mapped_column(String(64), index=True)
    datastore: Mapped[str] = mapped_column(String(32), default="running", server_default="running")
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32), default="")
    collected_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(128))


class DiscoveryStatusRow(Base):
    """The last discovery attempt per device, and where a crawled device was found from."""

    __tablename__ = "discovery_status"

    device: Mapped[str] = mapped_column(String(64), primary_key=True)
    origin: Mapped[str] = mapped_column(String(16), default="inventory")
    found_from: Mapped[str | None] = mapped_column(String(64))
    last_attempt_at: Mapped[datetime]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
