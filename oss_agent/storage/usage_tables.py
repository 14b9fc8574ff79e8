"""Tables of usage (TMF635): the published records, and one meter per measured service.

A record's unique key is its id (``<service>:<kind>:<interval start>:<length>``), so an interval can
be published once only: a second publisher of the same interval fails its transaction, outbox row
included. Rates are kept as exact decimal text; times as epoch seconds like the samples they come
from, with the usage date also as a UTC instant for the API's filters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oss_agent.storage.orm import Base
from oss_agent.storage.perf_tables import BIG_ID


class UsageRecordRow(Base):
    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_service_id_usage_date", "service_id", "usage_date"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)  # publication order (stable paging)
    usage_id: Mapped[str] = mapped_column(String(200), unique=True)
    service_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), index=True)
    interval_start: Mapped[float] = mapped_column(Float)
    interval_s: Mapped[int] = mapped_column(Integer)
    usage_date: Mapped[datetime] = mapped_column(index=True)  # the start of the part measured
    end_date: Mapped[datetime]
    measured_s: Mapped[float] = mapped_column(Float)
    interfaces: Mapped[list[Any]] = mapped_column(JSON, default=list)
    inbound_octets: Mapped[int | None] = mapped_column(BigInteger)
    outbound_octets: Mapped[int | None] = mapped_column(BigInteger)
    inbound_mbps: Mapped[str | None] = mapped_column(String(32))
    outbound_mbps: Mapped[str | None] = mapped_column(String(32))
    published_at: Mapped[datetime]


class UsageMeterRow(Base):
    """Where a service is measured, over which window, and each kind's next interval (its cursor)."""

    __tablename__ = "usage_meters"

    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    interfaces: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [device, interface, provider_side]
    rate_samples: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[float] = mapped_column(Float)
    until: Mapped[float | None] = mapped_column(Float)
    next_volume: Mapped[float | None] = mapped_column(Float)
    next_rate: Mapped[float | None] = mapped_column(Float)
    finished: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
