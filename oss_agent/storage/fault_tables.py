"""Fault-management tables beside the alarms: every received notification or detection, kept.

Unknown traps are not dropped: they are stored here as events (with their varbinds) even when no
alarm comes of them, and an alarm's history can be traced back to the notifications behind it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oss_agent.storage.orm import Base
from oss_agent.storage.perf_tables import BIG_ID


class FaultEventRow(Base):
    __tablename__ = "fault_events"
    __table_args__ = (Index("ix_fault_events_device_at", "device", "at"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(16))  # trap | poll | threshold
    device: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))  # linkDown, coldStart, unknownTrap, unreachable, ...
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    alarm_id: Mapped[str | None] = mapped_column(String(64), index=True)
