"""Tables of service provisioning: services (TMF638), their renderings per device, pool allocations,
resource orders (TMF652, the activation journal), device leases and cancellation requests.

The service orders themselves (TMF641) keep their tables in ``orm.py`` (``service_orders``,
``service_order_items``); ``order_external_ids`` makes an ``externalId`` name one accepted order only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oss_agent.storage.orm import Base


class OrderExternalIdRow(Base):
    """An accepted order's ``externalId``: the primary key makes a second order with it impossible."""

    __tablename__ = "order_external_ids"

    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("service_orders.id", ondelete="CASCADE"), unique=True)


class ServiceRow(Base):
    __tablename__ = "services"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    spec_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    characteristics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    order_id: Mapped[str] = mapped_column(String(64))
    order_item_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(128))
    related_party: Mapped[list[Any]] = mapped_column(JSON, default=list)
    supporting_resources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    in_sync: Mapped[bool | None] = mapped_column(Boolean)
    sync_detail: Mapped[str] = mapped_column(Text, default="")
    checks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ServiceRenderingRow(Base):
    """What a service's creation rendered on one device (``part``: cli or netconf), and which of those
    items were on the device before it (never removed by this service)."""

    __tablename__ = "service_renderings"
    __table_args__ = (
        UniqueConstraint("service_id", "device", "part", name="uq_service_renderings_service_device_part"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(64), index=True)
    part: Mapped[str] = mapped_column(String(16))
    rendering: Mapped[str] = mapped_column(Text)
    preexisting: Mapped[list[Any]] = mapped_column(JSON, default=list)


class PoolAllocationRow(Base):
    """One value of a pool held by a service for a purpose. Both unique constraints are the guarantee:
    no value is held twice, and asking again for the same purpose finds the value already held."""

    __tablename__ = "pool_allocations"
    __table_args__ = (
        UniqueConstraint("pool", "value", name="uq_pool_allocations_pool_value"),
        UniqueConstraint("pool", "service_id", "purpose", name="uq_pool_allocations_pool_service_purpose"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    allocated_at: Mapped[datetime]


class ResourceOrderRow(Base):
    """One device's part of a service order: its snapshot, the change, and the phase reached (the journal)."""

    __tablename__ = "resource_orders"
    __table_args__ = (
        UniqueConstraint("order_id", "device", name="uq_resource_orders_order_device"),
        Index("ix_resource_orders_phase", "phase"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("service_orders.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    phase: Mapped[str] = mapped_column(String(32))
    services: Mapped[list[Any]] = mapped_column(JSON, default=list)
    snapshot_cli: Mapped[str | None] = mapped_column(Text)
    snapshot_netconf: Mapped[str | None] = mapped_column(Text)
    change_cli: Mapped[list[Any]] = mapped_column(JSON, default=list)
    change_netconf: Mapped[str | None] = mapped_column(Text)
    target_cli: Mapped[str | None] = mapped_column(Text)
    target_netconf: Mapped[str | None] = mapped_column(Text)
    persist_id: Mapped[str | None] = mapped_column(String(64))
    diff: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DeviceLeaseRow(Base):
    """A device held by the order changing it (across processes; one row per device)."""

    __tablename__ = "device_leases"

    device: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    acquired_at: Mapped[datetime]


class CancelRequestRow(Base):
    """A TMF641 cancelServiceOrder task, as answered."""

    __tablename__ = "cancel_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime]
    effective_at: Mapped[datetime | None]
