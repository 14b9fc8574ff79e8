"""Tables of the TMF event hub: subscriptions, the transactional outbox and per-subscriber delivery.

An outbox row is written in the same transaction as the alarm change it announces (see
``SqlAlchemyUnitOfWork.commit``), so an event can never be lost between the change being stored and
it being sent, nor sent for a change that rolled back. A delivery row per (event, subscription) is
the proof of delivery, which lets a restarted dispatcher pick up exactly where the last one stopped.

TMF642 v4 types ``Alarm.id`` as an integer while our alarms have UUIDs: ``alarm_numbers`` gives each
alarm a stable number, assigned in the transaction that raises it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oss_agent.storage.orm import Base
from oss_agent.storage.perf_tables import BIG_ID


class AlarmNumberRow(Base):
    """The TMF642 number of an alarm (``Alarm.id`` is an integer in the v4 swagger)."""

    __tablename__ = "alarm_numbers"

    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    alarm_id: Mapped[str] = mapped_column(ForeignKey("alarms.id", ondelete="CASCADE"), unique=True)


class HubSubscriptionRow(Base):
    """A listener registered on an API's hub; its back-off state survives restarts with it."""

    __tablename__ = "hub_subscriptions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    api: Mapped[str] = mapped_column(String(32), index=True)
    callback: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class HubOutboxRow(Base):
    """One event to publish, with the resource as it was when the change committed."""

    __tablename__ = "hub_outbox"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    api: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(400), index=True)  # an alarm id, or a TMF639 resource id
    created_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class HubDeliveryRow(Base):
    """One event owed to one subscriber; ``delivered_at`` is set once the callback accepted it."""

    __tablename__ = "hub_deliveries"
    __table_args__ = (
        UniqueConstraint("outbox_id", "subscription_id", name="uq_hub_deliveries_outbox_subscription"),
        Index("ix_hub_deliveries_pending", "subscription_id", "delivered_at", "outbox_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("hub_outbox.id", ondelete="CASCADE"))
    subscription_id: Mapped[str] = mapped_column(ForeignKey("hub_subscriptions.id", ondelete="CASCADE"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None]


class AlarmTaskRow(Base):
    """A TMF642 task resource (ackAlarms, unAckAlarms, clearAlarms, commentAlarms) as answered."""

    __tablename__ = "alarm_tasks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
