"""The BSS's tables (SQLAlchemy 2 declarative, typed), all named ``bss_*`` so they can never collide
with the OSS's even in a shared database. Schema changes go through the migrations next door.

Amounts are stored as decimal text (``DecimalText``): exact on every backend (SQLite has no decimal
type, and SQLAlchemy's Numeric would pass it through a float there). Instants are aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
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
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
ID = String(64)
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones); naive ones are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the BSS database; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def decimal_text(value: Decimal) -> str:
    """How ``DecimalText`` stores an amount (bulk inserts call it directly)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"amounts are Decimals, got {type(value).__name__}")
    return f"{value:f}"


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored as its exact text."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else decimal_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        Decimal: DecimalText(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class: bulk statements through it skip the ORM's per-row work."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class CustomerRow(Base):
    __tablename__ = "bss_customers"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    engaged_party: Mapped[dict[str, Any]]
    contacts: Mapped[list[Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BillingAccountRow(Base):
    __tablename__ = "bss_billing_accounts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("bss_customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    bill_cycle_day: Mapped[str] = mapped_column(String(4))  # 1-31 or "last"
    time_zone: Mapped[str] = mapped_column(String(64))
    tax_rate_pct: Mapped[Decimal]
    tax_exemption: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    credit_limit: Mapped[Decimal | None]
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SpecificationRow(Base):
    __tablename__ = "bss_product_specifications"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[str] = mapped_column(String(32))
    lifecycle_status: Mapped[str] = mapped_column(String(32))
    service_specification: Mapped[str] = mapped_column(String(128))
    characteristics: Mapped[list[Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OfferingRow(Base):
    __tablename__ = "bss_product_offerings"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    specification_id: Mapped[str | None] = mapped_column(ForeignKey("bss_product_specifications.id"))
    sellable: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    lifecycle_status: Mapped[str] = mapped_column(String(32))
    fixed: Mapped[dict[str, Any]]
    sla: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    components: Mapped[list[BundleComponentRow]] = relationship(
        foreign_keys="BundleComponentRow.bundle_id", order_by="BundleComponentRow.position", cascade="all"
    )
    prices: Mapped[list[OfferingPriceRow]] = relationship(order_by="OfferingPriceRow.valid_from", cascade="all")


class BundleComponentRow(Base):
    __tablename__ = "bss_bundle_components"

    bundle_id: Mapped[str] = mapped_column(ForeignKey("bss_product_offerings.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    component_id: Mapped[str] = mapped_column(ForeignKey("bss_product_offerings.id"))


class OfferingPriceRow(Base):
    """One version of one named price of an offering; versions of a (name, currency) tile in time."""

    __tablename__ = "bss_offering_prices"
    __table_args__ = (
        UniqueConstraint("offering_id", "name", "currency", "version", name="uq_bss_offering_prices_version"),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    offering_id: Mapped[str] = mapped_column(ForeignKey("bss_product_offerings.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    terms: Mapped[dict[str, Any]]


class OrderRow(Base):
    __tablename__ = "bss_product_orders"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(ForeignKey("bss_customers.id"), index=True)
    billing_account_id: Mapped[str] = mapped_column(ForeignKey("bss_billing_accounts.id"))
    state: Mapped[str] = mapped_column(String(32), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    tax_rate_pct: Mapped[Decimal]
    order_date: Mapped[datetime]
    requested_start: Mapped[datetime | None]
    requested_completion: Mapped[datetime | None]
    completion_date: Mapped[datetime | None]
    cancellation_date: Mapped[datetime | None]
    cancellation_reason: Mapped[str] = mapped_column(Text, default="")
    state_before_cancellation: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(16), default="")
    notes: Mapped[list[Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    items: Mapped[list[OrderItemRow]] = relationship(order_by="OrderItemRow.position", cascade="all")


class OrderItemRow(Base):
    __tablename__ = "bss_product_order_items"
    __table_args__ = (UniqueConstraint("order_id", "item_id", name="uq_bss_product_order_items_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("bss_product_orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(ID)
    action: Mapped[str] = mapped_column(String(16))
    offering_id: Mapped[str | None] = mapped_column(ForeignKey("bss_product_offerings.id"))
    subscription_id: Mapped[str | None] = mapped_column(ID, index=True)  # stored after its order: no FK
    parent_id: Mapped[str | None] = mapped_column(ID)
    characteristics: Mapped[dict[str, Any]]
    prices: Mapped[list[Any]]
    state: Mapped[str] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None]


class CancelRequestRow(Base):
    __tablename__ = "bss_cancel_requests"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("bss_product_orders.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(32))
    requested_date: Mapped[datetime | None]
    effective_date: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class SubscriptionRow(Base):
    __tablename__ = "bss_subscriptions"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("bss_customers.id"), index=True)
    billing_account_id: Mapped[str] = mapped_column(ForeignKey("bss_billing_accounts.id"), index=True)
    offering_id: Mapped[str] = mapped_column(ForeignKey("bss_product_offerings.id"))
    specification_id: Mapped[str | None] = mapped_column(ForeignKey("bss_product_specifications.id"))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), index=True)
    order_date: Mapped[datetime]
    start_date: Mapped[datetime | None]
    termination_date: Mapped[datetime | None]
    order_id: Mapped[str | None] = mapped_column(ForeignKey("bss_product_orders.id"))
    order_item_id: Mapped[str | None] = mapped_column(ID)
    bundle_id: Mapped[str | None] = mapped_column(ForeignKey("bss_subscriptions.id"), index=True)
    locked_by: Mapped[str | None] = mapped_column(ID)
    status_before_termination: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # One more at every stored change (the repository's): a bill compares it with the revision its
    # account's last bill saw, whatever instant the change took effect (see billing_inputs)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    terms: Mapped[list[TermRow]] = relationship(order_by="TermRow.seq", cascade="all, delete-orphan")


class TermRow(Base):
    """What a subscription is charged on from ``start`` to ``end``; ``seq`` orders its terms."""

    __tablename__ = "bss_subscription_terms"
    __table_args__ = (UniqueConstraint("subscription_id", "seq", name="uq_bss_subscription_terms_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("bss_subscriptions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    offering_id: Mapped[str] = mapped_column(ForeignKey("bss_product_offerings.id"))
    characteristics: Mapped[dict[str, Any]]
    prices: Mapped[list[Any]]
    reason: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str | None] = mapped_column(ID)
    start: Mapped[datetime | None]
    end: Mapped[datetime | None]


class HubListenerRow(Base):
    """A listener registered on one of the BSS APIs' hubs; its back-off survives restarts."""

    __tablename__ = "bss_hub_listeners"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    api: Mapped[str] = mapped_column(String(32), index=True)
    callback: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class HubEventRow(Base):
    """An event as published: written in the same transaction as the change it announces."""

    __tablename__ = "bss_hub_events"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    event_id: Mapped[str] = mapped_column(ID, unique=True)
    api: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime]
    body: Mapped[dict[str, Any]]


class HubDeliveryRow(Base):
    """One event owed to one listener (created with the event); ``delivered_at`` once accepted."""

    __tablename__ = "bss_hub_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "listener_id", name="uq_bss_hub_deliveries_event_listener"),
        Index("ix_bss_hub_deliveries_pending", "listener_id", "delivered_at", "event_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    event_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("bss_hub_events.id", ondelete="CASCADE"))
    listener_id: Mapped[str] = mapped_column(ForeignKey("bss_hub_listeners.id", ondelete="CASCADE"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None]
