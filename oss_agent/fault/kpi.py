"""Fault KPIs from alarm history: mean time to repair and availability, per device and interface.

The arithmetic is pure (:func:`mttr_by_device`, :func:`availability`) over :class:`AlarmRecord`
so it is tested on a constructed history; :func:`compute_kpis` is the thin query layer the API and
the CLI share.

- MTTR counts cleared root-cause alarms only: a symptom's repair is its root's repair, and counting
  both would weigh one outage twice.
- MTTR per severity groups the same repairs by the severity the root alarm had when it cleared
  (alarms cleared before the agent kept it count as ``unknown``).
- Availability is the part of the observed window not covered by an outage alarm of the object: a
  device's ``<device>|unreachable`` alarm, an interface's ``linkDown``/``operDown`` alarm on
  ``<device>:<if>``. Overlapping outages are merged; an alarm still active counts until the end of
  the window. The observed window starts when the agent started monitoring the device (its inventory
  record), so a device added yesterday is not credited with a week of uptime.
- Network availability is device time up over device time observed, summed over every device.
- Service availability (:func:`service_uptimes`) is the part of the service's life within the window
  (from its creation, until its termination) in which none of the resources it rides on (devices,
  interfaces) had an outage; :func:`live_services` reads each service's resources and life from the
  service inventory (a service that never went live, whose order failed, has no resources and is left out).
- Polls: how many of the agent's polls of a device answered, from the raw poll samples (kept for
  ``Retention.raw_s``), as evidence beside the alarm-based figure.

``docs/kpis.md`` holds the definitions for operators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from oss_agent.storage.orm import AlarmRow, DeviceRow, InterfaceRow
from oss_agent.storage.perf_tables import DeviceSampleRow
from oss_agent.storage.provisioning_tables import ServiceRow

INTERFACE_OUTAGE_CAUSES = frozenset({"linkDown", "operDown"})
Span = tuple[datetime, datetime | None]


@dataclass(frozen=True, slots=True)
class AlarmRecord:
    managed_object: str
    reduction_key: str
    probable_cause: str
    raised_at: datetime
    cleared_at: datetime | None = None
    root_cause_id: str | None = None
    severity: str = ""


@dataclass(frozen=True, slots=True)
class Uptime:
    """An object's observed seconds in the window and how many of them it was down."""

    observed_s: float
    down_s: float

    @property
    def availability(self) -> float:
        return 1.0 - self.down_s / self.observed_s if self.observed_s > 0 else 1.0


@dataclass(frozen=True, slots=True)
class Kpis:
    start: datetime
    end: datetime
    mttr_s: dict[str, float] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    device_availability: dict[str, float] = field(default_factory=dict)
    interface_availability: dict[str, float] = field(default_factory=dict)
    mttr_by_severity_s: dict[str, float] = field(default_factory=dict)
    repairs_by_severity: dict[str, int] = field(default_factory=dict)
    network_availability: float | None = None
    device_uptime: dict[str, Uptime] = field(default_factory=dict)
    polls: dict[str, tuple[int, int]] = field(default_factory=dict)  # device -> (polls, answered)
    service_availability: dict[str, float] = field(default_factory=dict)
    service_uptime: dict[str, Uptime] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ServiceLife:
    """What a service's availability is computed from: the resources it rides on, and when it lived
    (``until`` None: live now)."""

    resources: tuple[str, ...]
    since: datetime | None = None
    until: datetime | None = None


def device_of(managed_object: str) -> str:
    return managed_object.split(":", 1)[0].split("|", 1)[0]


def _mttr(records: Iterable[AlarmRecord], key: Callable[[AlarmRecord], str]) -> tuple[dict[str, float], dict[str, int]]:
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    for r in records:
        if r.cleared_at is None or r.root_cause_id is not None:
            continue
        group = key(r)
        totals[group] = totals.get(group, 0.0) + (r.cleared_at - r.raised_at).total_seconds()
        counts[group] = counts.get(group, 0) + 1
    return {g: totals[g] / counts[g] for g in sorted(totals)}, dict(sorted(counts.items()))


def mttr_by_device(records: Iterable[AlarmRecord]) -> tuple[dict[str, float], dict[str, int]]:
    """Mean seconds from raise to clear per device, and how many repairs that mean is over."""
    return _mttr(records, lambda r: device_of(r.managed_object))


def mttr_by_severity(records: Iterable[AlarmRecord]) -> tuple[dict[str, float], dict[str, int]]:
    """The same repairs grouped by the root alarm's severity."""
    return _mttr(records, lambda r: r.severity if r.severity not in ("", "cleared") else "unknown")


def is_device_outage(r: AlarmRecord) -> bool:
    return r.reduction_key == f"{r.managed_object}|unreachable"


def is_interface_outage(r: AlarmRecord) -> bool:
    return ":" in r.managed_object and (
        r.probable_cause in INTERFACE_OUTAGE_CAUSES or r.reduction_key.rsplit("|", 1)[-1] in INTERFACE_OUTAGE_CAUSES
    )


def covered(intervals: Iterable[Span], start: datetime, end: datetime) -> timedelta:
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


def outage_spans(
    records: Iterable[AlarmRecord], devices: Iterable[str] = (), interfaces: Iterable[str] = ()
) -> tuple[dict[str, list[Span]], dict[str, list[Span]]]:
    """Outage intervals per device and per interface (the known objects start with none)."""
    by_device: dict[str, list[Span]] = {d: [] for d in devices}
    by_interface: dict[str, list[Span]] = {i: [] for i in interfaces}
    for r in records:
        if is_device_outage(r):
            by_device.setdefault(r.managed_object, []).append((r.raised_at, r.cleared_at))
        elif is_interface_outage(r):
            by_interface.setdefault(r.managed_object, []).append((r.raised_at, r.cleared_at))
    return by_device, by_interface


def uptimes(
    spans: Mapping[str, list[Span]],
    start: datetime,
    end: datetime,
    monitored_since: Mapping[str, datetime] | None = None,
) -> dict[str, Uptime]:
    """Observed and down seconds per object. An object's window starts at its device's ``monitored_since``
    when that is later than ``start``; objects first monitored after ``end`` are left out."""
    if end <= start:
        raise ValueError("the window must end after it starts")
    out: dict[str, Uptime] = {}
    for name, intervals in sorted(spans.items()):
        begin = max(start, (monitored_since or {}).get(device_of(name), start))
        if begin < end:
            out[name] = Uptime((end - begin).total_seconds(), covered(intervals, begin, end).total_seconds())
    return out


def availability(
    records: Sequence[AlarmRecord],
    start: datetime,
    end: datetime,
    devices: Iterable[str] = (),
    interfaces: Iterable[str] = (),
    monitored_since: Mapping[str, datetime] | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Availability (0..1) per device and per interface over the window; known objects with no outage get 1.0."""
    by_device, by_interface = outage_spans(records, devices, interfaces)
    return (
        {k: u.availability for k, u in uptimes(by_device, start, end, monitored_since).items()},
        {k: u.availability for k, u in uptimes(by_interface, start, end, monitored_since).items()},
    )


def network_availability(device_uptime: Mapping[str, Uptime]) -> float | None:
    """Device time up over device time observed, summed over every device; None when nothing was observed."""
    observed = sum(u.observed_s for u in device_uptime.values())
    return 1.0 - sum(u.down_s for u in device_uptime.values()) / observed if observed > 0 else None


def service_uptimes(
    services: Mapping[str, Iterable[str] | ServiceLife], records: Sequence[AlarmRecord], start: datetime, end: datetime
) -> dict[str, Uptime]:
    """Per service: its observed seconds (its life within the window) and the seconds in which one of its
    resources (``pe1``, ``pe1:eth3``) was out. A device's outage takes its interfaces with it, so a
    service riding ``pe1:eth3`` is down while ``pe1`` is unreachable too. A service given only its
    resources is observed over the whole window; one that did not live in the window is left out."""
    if end <= start:
        raise ValueError("the window must end after it starts")
    by_device, by_interface = outage_spans(records)
    out: dict[str, Uptime] = {}
    for service, given in sorted(services.items()):
        life = given if isinstance(given, ServiceLife) else ServiceLife(tuple(given))
        begin = max(start, life.since or start)
        finish = min(end, life.until or end)
        if begin >= finish:
            continue
        spans: list[Span] = []
        for resource in set(life.resources):
            spans += by_interface.get(resource, []) + by_device.get(device_of(resource), [])
        out[service] = Uptime((finish - begin).total_seconds(), covered(spans, begin, finish).total_seconds())
    return out


def service_availability(
    services: Mapping[str, Iterable[str] | ServiceLife], records: Sequence[AlarmRecord], start: datetime, end: datetime
) -> dict[str, float]:
    """Availability (0..1) per service over its life in the window (see :func:`service_uptimes`)."""
    return {k: u.availability for k, u in service_uptimes(services, records, start, end).items()}


def live_services(session: Session, start: datetime, end: datetime) -> dict[str, ServiceLife]:
    """The services of the inventory that were on the network during ``[start, end)``: those with
    supporting resources (set when an order committed them), from their creation to their termination."""
    rows = session.execute(
        select(ServiceRow.id, ServiceRow.state, ServiceRow.supporting_resources, ServiceRow.created_at,
               ServiceRow.updated_at).where(ServiceRow.created_at < end)
    )
    out: dict[str, ServiceLife] = {}
    for service_id, state, resources, created, updated in rows:
        until = updated if state == "terminated" else None
        if not resources or (until is not None and until <= start):
            continue
        out[service_id] = ServiceLife(tuple(str(r) for r in resources), created, until)
    return out


def compute_kpis(
    session_factory: sessionmaker[Session],
    start: datetime,
    end: datetime,
    services: Mapping[str, Iterable[str] | ServiceLife] | None = None,
) -> Kpis:
    """KPIs for [start, end): MTTR over alarms cleared in the window, availability of every known object
    and of every service that lived in it (``services`` instead of the service inventory's, for tests)."""
    with session_factory() as session:
        rows = session.scalars(
            select(AlarmRow).where(
                AlarmRow.raised_at < end, or_(AlarmRow.cleared_at.is_(None), AlarmRow.cleared_at > start)
            )
        )
        records = [
            AlarmRecord(
                r.managed_object,
                r.reduction_key,
                r.probable_cause,
                r.raised_at,
                r.cleared_at,
                r.root_cause_id,
                r.cleared_severity or r.severity,
            )
            for r in rows
        ]
        since = {name: created for name, created in session.execute(select(DeviceRow.name, DeviceRow.created_at))}
        interfaces = [
            f"{d}:{i}" for d, i in session.execute(select(DeviceRow.name, InterfaceRow.name).join(InterfaceRow.device))
        ]
        answered = func.sum(case((DeviceSampleRow.reachable, 1), else_=0))
        polls = {
            device: (int(total), int(ok or 0))
            for device, total, ok in session.execute(
                select(DeviceSampleRow.device, func.count(), answered)
                .where(DeviceSampleRow.ts >= start.timestamp(), DeviceSampleRow.ts < end.timestamp())
                .group_by(DeviceSampleRow.device)
            )
        }
        if services is None:
            services = live_services(session, start, end)
    repaired = [r for r in records if r.cleared_at is not None and start <= r.cleared_at < end]
    mttr, repairs = mttr_by_device(repaired)
    by_severity, severity_repairs = mttr_by_severity(repaired)
    device_spans, interface_spans = outage_spans(records, since, interfaces)
    device_uptime = uptimes(device_spans, start, end, since)
    service_uptime = service_uptimes(services, records, start, end)
    return Kpis(
        start,
        end,
        mttr,
        repairs,
        {k: u.availability for k, u in device_uptime.items()},
        {k: u.availability for k, u in uptimes(interface_spans, start, end, since).items()},
        by_severity,
        severity_repairs,
        network_availability(device_uptime),
        device_uptime,
        polls,
        {k: u.availability for k, u in service_uptime.items()},
        service_uptime,
    )
