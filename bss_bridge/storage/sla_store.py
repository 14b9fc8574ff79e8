"""Outages, maintenance windows and suspensions in the database, as billing's SLA inputs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bss_bridge.domain.billing.sla import MaintenanceWindow, Outage
from bss_bridge.storage.billing_tables import MaintenanceRow, OutageRow, SuspensionRow
from bss_bridge.storage.usage_store import chunks


def outages(
    session: Session, subscription_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[Outage]]:
    """Per subscription, the outages overlapping ``[start, end)``."""
    found: dict[str, list[Outage]] = defaultdict(list)
    for part in chunks(list(subscription_ids)):
        query = select(OutageRow).where(
            OutageRow.subscription_id.in_(part),
            OutageRow.start < end,
            or_(OutageRow.end.is_(None), OutageRow.end > start),
        )
        for row in session.scalars(query):
            found[row.subscription_id].append(Outage(row.start, row.end))
    return found


def excused(
    session: Session, subscription_ids: Sequence[str], start: datetime, end: datetime
) -> dict[str, list[MaintenanceWindow]]:
    """Per subscription, the time that does not count for its SLA within ``[start, end)``: announced
    maintenance (of it, or of every subscription) and its suspensions (the service is off on purpose)."""
    wanted = set(subscription_ids)
    found: dict[str, list[MaintenanceWindow]] = defaultdict(list)
    query = select(MaintenanceRow).where(MaintenanceRow.start < end, MaintenanceRow.end > start)
    for row in session.scalars(query):
        for sub in (set(row.products) & wanted) if row.products else wanted:
            found[sub].append(MaintenanceWindow(row.start, row.end))
    for part in chunks(list(subscription_ids)):
        suspended = select(SuspensionRow).where(
            SuspensionRow.subscription_id.in_(part),
            SuspensionRow.start < end,
            or_(SuspensionRow.end.is_(None), SuspensionRow.end > start),
        )
        for pause in session.scalars(suspended):
            found[pause.subscription_id].append(MaintenanceWindow(pause.start, pause.end or max(end, pause.start)))
    return found
