"""Usage storage: meters, the counter samples they read, and records written with their outbox rows.

:meth:`UsageRepository.add` writes each record and its ``UsageCreateEvent`` outbox row in the
caller's transaction (the unit of work's), so a record is published exactly when it is stored. The
payload is the record in our own words (:func:`usage_snapshot`); TMF635's shape is the hub's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from oss_agent.domain.usage import CounterSample, MeasurePoint, Meter, UsageKind, UsageRecord
from oss_agent.storage.hub_tables import HubOutboxRow
from oss_agent.storage.orm import DeviceRow
from oss_agent.storage.perf_tables import InterfaceSampleRow
from oss_agent.storage.usage_tables import UsageMeterRow, UsageRecordRow

USAGE_API = "usageManagement"
USAGE_CREATED = "UsageCreateEvent"


def _instant(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def usage_snapshot(row: UsageRecordRow) -> dict[str, Any]:
    """A record as plain JSON in our field names (what the outbox keeps and the TMF635 view renders)."""
    return {
        "id": row.usage_id,
        "service_id": row.service_id,
        "kind": row.kind,
        "interval_start": _instant(row.interval_start).isoformat(),
        "interval_s": row.interval_s,
        "usage_date": row.usage_date.astimezone(UTC).isoformat(),
        "end_date": row.end_date.astimezone(UTC).isoformat(),
        "measured_s": row.measured_s,
        "interfaces": list(row.interfaces),
        "inbound_octets": row.inbound_octets,
        "outbound_octets": row.outbound_octets,
        "inbound_mbps": row.inbound_mbps,
        "outbound_mbps": row.outbound_mbps,
    }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _row(record: UsageRecord, now: datetime) -> UsageRecordRow:
    return UsageRecordRow(
        usage_id=record.id,
        service_id=record.service_id,
        kind=record.kind.value,
        interval_start=record.interval_start,
        interval_s=record.interval_s,
        usage_date=_instant(record.start),
        end_date=_instant(record.end),
        measured_s=record.measured_s,
        interfaces=list(record.interfaces),
        inbound_octets=record.inbound_octets,
        outbound_octets=record.outbound_octets,
        inbound_mbps=_text(record.inbound_mbps),
        outbound_mbps=_text(record.outbound_mbps),
        published_at=now,
    )


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range of a column's values, ``[start, end)``; a bound None is no bound (a UTC day
    of ``usage_date`` is ``[its midnight, the next)``)."""

    start: Any = None
    end: Any = None


@dataclass(frozen=True, slots=True)
class Where:
    """A condition on a column of ``usage_records`` (``kind``, ``usage_id``, ``service_id``,
    ``usage_date``): ``op`` None is equality with any of ``values`` (a :class:`Span`: any value within
    it; no values: nothing); ``gt``/``gte``/``lt``/``lte`` one."""

    column: str
    op: str | None
    values: tuple[Any, ...]


COLUMNS = frozenset({"kind", "usage_id", "service_id", "usage_date"})
_OPS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


class UsageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- meters -----------------------------------------------------------------------------------

    def meters(self) -> dict[str, Meter]:
        """Every meter still publishing (not finished), by service id."""
        rows = self.session.scalars(select(UsageMeterRow).where(UsageMeterRow.finished.is_(False)))
        return {row.service_id: _meter(row) for row in rows}

    def save_meter(self, meter: Meter, finished: bool) -> None:
        row = self.session.get(UsageMeterRow, meter.service_id)
        if row is None:
            row = UsageMeterRow(service_id=meter.service_id)
            self.session.add(row)
        row.interfaces = [[p.device, p.interface, p.provider_side] for p in meter.points]
        row.rate_samples, row.since, row.until = meter.rate_samples, meter.since, meter.until
        row.next_volume = meter.next_start.get(UsageKind.VOLUME)
        row.next_rate = meter.next_start.get(UsageKind.RATE)
        row.finished = finished

    def cpe_devices(self) -> set[str]:
        return set(self.session.scalars(select(DeviceRow.name).where(DeviceRow.role == "cpe")))

    # --- samples ----------------------------------------------------------------------------------

    def samples(
        self, points: Sequence[MeasurePoint], after: float
    ) -> tuple[dict[str, list[CounterSample]], dict[str, float]]:
        """Per interface: its samples ending after ``after`` (oldest first), and its newest sample's end."""
        found: dict[str, list[CounterSample]] = {}
        observed: dict[str, float] = {}
        for point in points:
            where = (InterfaceSampleRow.device == point.device, InterfaceSampleRow.interface == point.interface)
            rows = self.session.execute(
                select(
                    InterfaceSampleRow.ts,
                    InterfaceSampleRow.interval_s,
                    InterfaceSampleRow.in_bps,
                    InterfaceSampleRow.out_bps,
                )
                .where(*where, InterfaceSampleRow.ts > after)
                .order_by(InterfaceSampleRow.ts)
            ).all()
            # a rate times its seconds is the counter delta it was computed from, within a float's precision
            found[point.resource] = [
                CounterSample(ts, seconds, round(in_bps * seconds / 8), round(out_bps * seconds / 8))
                for ts, seconds, in_bps, out_bps in rows
            ]
            newest = rows[-1][0] if rows else self.session.scalar(select(func.max(InterfaceSampleRow.ts)).where(*where))
            if newest is not None:
                observed[point.resource] = newest
        return found, observed

    # --- records ----------------------------------------------------------------------------------

    def add(self, records: Iterable[UsageRecord]) -> int:
        """Store ``records`` and their ``UsageCreateEvent`` outbox rows in the caller's transaction."""
        now = datetime.now(UTC)
        rows = [_row(r, now) for r in records]
        if not rows:
            return 0
        self.session.add_all(rows)
        self.session.flush()  # a record published before fails here, with its event
        self.session.execute(
            insert(HubOutboxRow),
            [
                {
                    "event_id": str(uuid.uuid4()),
                    "api": USAGE_API,
                    "event_type": USAGE_CREATED,
                    "resource_id": row.usage_id,
                    "created_at": now,
                    "payload": {"usage": usage_snapshot(row)},
                    "fanned_out": False,
                }
                for row in sorted(rows, key=lambda r: r.id)
            ],
        )
        return len(rows)

    def get(self, usage_id: str) -> dict[str, Any] | None:
        row = self.session.scalar(select(UsageRecordRow).where(UsageRecordRow.usage_id == usage_id))
        return None if row is None else usage_snapshot(row)

    def count(self, where: Sequence[Where] = ()) -> int:
        return int(self.session.scalar(select(func.count()).select_from(_select(where).subquery())) or 0)

    def list(self, where: Sequence[Where] = (), offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Records in publication order that meet every condition, from ``offset``, at most ``limit``."""
        query = _select(where).order_by(UsageRecordRow.id).offset(offset).limit(limit)
        return [usage_snapshot(row) for row in self.session.scalars(query)]


def _select(where: Sequence[Where]) -> Select[UsageRecordRow]:
    stmt = select(UsageRecordRow)
    for condition in where:
        if condition.column not in COLUMNS:
            raise ValueError(f"usage records are not selected on {condition.column!r}")
        column = getattr(UsageRecordRow, condition.column)
        if condition.op is None:
            stmt = stmt.where(_equal(column, condition.values))
        else:
            stmt = stmt.where(getattr(column, _OPS[condition.op])(condition.values[0]))
    return stmt


def _equal(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column`` equal to one of ``values``, or within one of its spans."""
    plain = [v for v in values if not isinstance(v, Span)]
    spans = [_within(column, v) for v in values if isinstance(v, Span)]
    equal: ColumnElement[bool] = column.in_(plain)
    return or_(*spans, *([equal] if plain else [])) if spans else equal


def _within(column: Any, span: Span) -> ColumnElement[bool]:
    bounds: list[ColumnElement[bool]] = []
    if span.start is not None:
        bounds.append(column >= span.start)
    if span.end is not None:
        bounds.append(column < span.end)
    unbounded: ColumnElement[bool] = column.is_not(None)
    return and_(*bounds) if bounds else unbounded


def _meter(row: UsageMeterRow) -> Meter:
    cursors = {UsageKind.VOLUME: row.next_volume, UsageKind.RATE: row.next_rate}
    return Meter(
        row.service_id,
        tuple(MeasurePoint(str(d), str(i), bool(p)) for d, i, p in row.interfaces),
        row.since,
        row.until,
        row.rate_samples,
        {kind: at for kind, at in cursors.items() if at is not None},
    )
