"""Fault KPIs from alarm history: mean time to repair and availability, per device and interface.

The arithmetic is pure (:func:`mttr_by_device`, :func:`availability`) over :class:`AlarmRecord`
so it is tested on a constructed history; :func:`compute_kpis` is the thin query layer the API and
the CLI share.

- MTTR counts cleared root-cause alarms only: a symptom's repair is its root's repair, and counting
  both would weigh one outage twice.
- Availability is the part of the window not covered by an outage alarm of the object: a device's
  ``<device>|unreachable`` alarm, an interface's ``linkDown``/``operDown`` alarm on ``<device>:<if>``.
  Overlapping outages are merged; an alarm still active counts until the end of the window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from oss_agent.storage.orm import AlarmRow, DeviceRow, InterfaceRow

INTERFACE_OUTAGE_CAUSES = frozenset({"linkDown", "operDown"})


@dataclass(frozen=True, slots=True)
class AlarmRecord:
    managed_object: str
    reduction_key: str
    probable_cause: str
    raised_at: datetime
    cleared_at: datetime | None = None
    root_cause_id: str | None = None


@dataclass(frozen=True, slots=True)
class Kpis:
    start: datetime
    end: datetime
    mttr_s: dict[str, float] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    device_availability: dict[str, float] = field(default_factory=dict)
    interface_availability: dict[str, float] = field(default_factory=dict)


def device_of(managed_object: str) -> str:
    return managed_object.split(":", 1)[0].split("|", 1)[0]


def mttr_by_device(records: Iterable[AlarmRecord]) -> tuple[dict[str, float], dict[str, int]]:
    """Mean seconds from raise to clear per device, and how many repairs that mean is over."""
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    for r in records:
        if r.cleared_at is None or r.root_cause_id is not None:
            continue
        device = device_of(r.managed_object)
        totals[device] = totals.get(device, 0.0) + (r.cleared_at - r.raised_at).total_seconds()
        counts[device] = counts.get(device, 0) + 1
    return {d: totals[d] / counts[d] for d in sorted(totals)}, dict(sorted(counts.items()))


def is_device_outage(r: AlarmRecord) -> bool:
    return r.reduction_key == f"{r.managed_object}|unreachable"


def is_interface_outage(r: AlarmRecord) -> bool:
    return ":" in r.managed_object and (
        r.probable_cause in INTERFACE_OUTAGE_CAUSES or r.reduction_key.rsplit("|", 1)[-1] in INTERFACE_OUTAGE_CAUSES
    )


def covered(intervals: Iterable[tuple[datetime, datetime | None]], start: datetime, end: datetime) -> timedelta:
    """Time within [start, end) covered by the union of the intervals (an open end runs to ``end``)."""
    clipped = sorted((max(a, start), min(b or end, end)) for a, b in intervals if a < end and (b is None or b > start))
    total, cursor = timedelta(0), start
    for a, b in clipped:
        a = max(a, cursor)
        if b > a:
            total += b - a
            cursor = b
    return total


# The KPI window, in days: from 86.4 s (shorter windows say nothing and rounding makes them empty) to ten years.
MIN_WINDOW_DAYS = 0.001
MAX_WINDOW_DAYS = 3660.0


def availability(
    records: Sequence[AlarmRecord],
    start: datetime,
    end: datetime,
    devices: Iterable[str] = (),
    interfaces: Iterable[str] = (),
) -> tuple[dict[str, float], dict[str, float]]:
    """Availability (0..1) per device and per interface over the window; known objects with no outage get 1.0."""
    if end <= start:
        raise ValueError("the window must end after it starts")
    window = (end - start).total_seconds()
    by_device: dict[str, list[tuple[datetime, datetime | None]]] = {d: [] for d in devices}
    by_interface: dict[str, list[tuple[datetime, datetime | None]]] = {i: [] for i in interfaces}
    for r in records:
        if is_device_outage(r):
            by_device.setdefault(r.managed_object, []).append((r.raised_at, r.cleared_at))
        elif is_interface_outage(r):
            by_interface.setdefault(r.managed_object, []).append((r.raised_at, r.cleared_at))

    def ratio(spans: list[tuple[datetime, datetime | None]]) -> float:
        return 1.0 - covered(spans, start, end).total_seconds() / window

    return (
        {k: ratio(v) for k, v in sorted(by_device.items())},
        {k: ratio(v) for k, v in sorted(by_interface.items())},
    )


def compute_kpis(session_factory: sessionmaker[Session], start: datetime, end: datetime) -> Kpis:
    """KPIs for [start, end): MTTR over alarms cleared in the window, availability of every known object."""
    with session_factory() as session:
        rows = session.scalars(
            select(AlarmRow).where(
                AlarmRow.raised_at < end, or_(AlarmRow.cleared_at.is_(None), AlarmRow.cleared_at > start)
            )
        )
        records = [
            AlarmRecord(r.managed_object, r.reduction_key, r.probable_cause, r.raised_at, r.cleared_at, r.root_cause_id)
            for r in rows
        ]
        devices = list(session.scalars(select(DeviceRow.name)))
        interfaces = [
            f"{d}:{i}" for d, i in session.execute(select(DeviceRow.name, InterfaceRow.name).join(InterfaceRow.device))
        ]
    repaired = [r for r in records if r.cleared_at is not None and start <= r.cleared_at < end]
    mttr, repairs = mttr_by_device(repaired)
    device_av, interface_av = availability(records, start, end, devices, interfaces)
    return Kpis(start, end, mttr, repairs, device_av, interface_av)
