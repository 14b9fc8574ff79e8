"""Trouble tickets (TMF621): one row per ticket, its products and status history as JSON. The
``external_id`` is unique (when given), so two concurrent creations of one ticket cannot both commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bss_bridge.storage.tables import ID, Base


class TroubleTicketRow(Base):
    __tablename__ = "bss_trouble_tickets"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("bss_customers.id"), index=True)
    products: Mapped[list[Any]]
    description: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200), default="")
    severity: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(64), default="")
    ticket_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    outage_start: Mapped[datetime]
    resolution_date: Mapped[datetime | None]
    history: Mapped[list[Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
