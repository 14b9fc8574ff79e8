"""Outages, maintenance windows and suspensions in the database, as billing's SLA inputs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bss_bridge.domain.billing.sla import MaintenanceWindow, Outage
from bss_bridge.storage.billing_tables import MaintenanceRow, OutageRow, SuspensionRow
from bss_bridge.storage.order_repository import bump_revision
from bss_bridge.storage.usage_store import chunks


def write_outage(
    session: Session,
    row: OutageRow | None,
    outage_id: str,
    subscription_id: str,
    start: datetime,
    end: datetime | None,
    description: str,
    now: datetime,
) -> OutageRow:
    """Store an outage (``row``: as stored, None when new) ending at ``end``. A new outage, or one
    whose end moved, changes its subscription's SLA credit: the subscription's revision goes up and
    the outage keeps it, so the next bill looks at it even when its days were billed already (see
    ``billing_inputs``)."""
    if row is None:
        row = OutageRow(id=outage_id, subscription_id=subscription_id, start=start, created_at=now)
        session.add(row)
    elif row.end == end:
        row.description, row.updated_at = description, now
        return row
    row.end, row.description, row.updated_at = end, description, now
    row.revision = bump_revision(session, subscription_id)
    return row


def outages_of(session: Session, subscription_ids: Sequence[str]) -> list[tuple[str, datetime, datetime, int | None]]:
    """Every outage of these subscriptions: (subscription, start, when last recorded, revision)."""
    found: list[tuple[str, datetime, datetime, int | None]] = []
    for part in chunks(list(subscription_ids)):
        query = select(OutageRow.subscription_id, OutageRow.start, OutageRow.updated_at, OutageRow.revision)
        rows = session.execute(query.where(OutageRow.subscription_id.in_(part)))
        found += [(sub, start, recorded, revision) for sub, start, recorded, revision in rows]
    return found


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
