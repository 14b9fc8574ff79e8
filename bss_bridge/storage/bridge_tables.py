"""The bridge's own tables in the BSS's database (``bss_bridge_*``): its progress and dedupe state.

- ``bss_bridge_inbox``: every hub notification received, unique per source and ``eventId`` (a
  repeat is dropped at the door), processed in arrival order per source;
- ``bss_bridge_requests``: the outbox towards the OSS: one TMF641 service order owed per row, keyed
  by the ``externalId`` it travels under, delivered with retries and back-off until the OSS has it
  and its outcome has been applied to the BSS;
- ``bss_bridge_services``: which TMF638 service realises which subscription, and the network state
  the bridge last had the OSS put it in;
- ``bss_bridge_incidents`` and ``bss_bridge_alarm_links``: per customer, the trouble an alarm (and
  the alarms correlated with it) caused, its subscriptions' outages and whether the BSS has it;
- ``bss_bridge_listeners``: the bridge's registrations on the hubs of both sides;
- ``bss_bridge_state``: small named values (the callback token, poll cursors).

None refers to a BSS table by a foreign key: the bridge keeps ids of both sides as references.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bss_bridge.storage.tables import BIG_ID, ID, Base

KEY = String(160)


class BridgeInboxRow(Base):
    __tablename__ = "bss_bridge_inbox"
    __table_args__ = (
        UniqueConstraint("source", "event_id", name="uq_bss_bridge_inbox_source_event"),
        Index("ix_bss_bridge_inbox_pending", "source", "processed_at", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class BridgeRequestRow(Base):
    __tablename__ = "bss_bridge_requests"
    __table_args__ = (Index("ix_bss_bridge_requests_due", "state", "next_attempt_at"),)

    key: Mapped[str] = mapped_column(KEY, primary_key=True)  # the TMF641 externalId
    kind: Mapped[str] = mapped_column(String(16))  # item | state | repair
    product_order_id: Mapped[str | None] = mapped_column(ID, index=True)
    item_id: Mapped[str | None] = mapped_column(ID)
    subscription_id: Mapped[str | None] = mapped_column(ID, index=True)
    body: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))  # pending | sent | done
    service_order_id: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str | None] = mapped_column(String(16))  # the service order's final state
    detail: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]


class BridgeServiceRow(Base):
    __tablename__ = "bss_bridge_services"

    subscription_id: Mapped[str] = mapped_column(ID, primary_key=True)
    service_id: Mapped[str] = mapped_column(String(128), index=True)
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    service_spec: Mapped[str] = mapped_column(String(64))
    network_state: Mapped[str] = mapped_column(String(16))  # active | inactive | terminated
    generation: Mapped[int] = mapped_column(Integer, default=0)  # state changes ordered so far
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BridgeIncidentRow(Base):
    __tablename__ = "bss_bridge_incidents"

    key: Mapped[str] = mapped_column(KEY, primary_key=True)  # the ticket's external key
    customer_id: Mapped[str] = mapped_column(ID, index=True)
    alarm_id: Mapped[str] = mapped_column(String(64))  # the alarm that opened it
    subscriptions: Mapped[dict[str, Any]]  # subscription id -> its outage's start (ISO 8601)
    description: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    ticket_id: Mapped[str | None] = mapped_column(ID)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every change
    synced_version: Mapped[int] = mapped_column(Integer, default=-1)  # what the BSS has
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BridgeAlarmLinkRow(Base):
    __tablename__ = "bss_bridge_alarm_links"

    alarm_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident: Mapped[str] = mapped_column(KEY, primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]


class BridgeAlarmRow(Base):
    """The latest state of each alarm the bridge has judged (an older one arriving late is dropped)."""

    __tablename__ = "bss_bridge_alarms"

    alarm_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime]
    judged_at: Mapped[datetime]


class BridgeListenerRow(Base):
    __tablename__ = "bss_bridge_listeners"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)  # oss:tmf641, bss:tmf622...
    hub: Mapped[str] = mapped_column(Text)
    subscription_id: Mapped[str | None] = mapped_column(String(128))
    callback: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[datetime | None]


class BridgeStateRow(Base):
    __tablename__ = "bss_bridge_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
