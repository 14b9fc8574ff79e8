"""Usage from interface counters (TMF635): which interfaces measure a service, and how the poller's
counter samples become usage records per fixed interval. Pure: times are epoch seconds, no clock.

**Where a service is measured.** A specification declares its customer-facing interface
(``usage.measure`` in ``config/services/<spec>.yaml``): ``pe`` (the default) is each endpoint's access
port on the provider's edge router, the end of the CE's uplink on the PE; ``ce`` is the CE's uplink
port. A service's supporting resources hold both ends per endpoint (``pe1``, ``pe1:eth2``, ``ce1``,
``ce1:eth0``); the CE is the device of role ``cpe`` (how sites resolve), so the interfaces of the
other devices are the PE ports. Directions are the customer's: ``inbound`` is what the customer's
site receives (a PE port's out octets, a CE uplink's in octets), ``outbound`` what it sends. A
service with several endpoints (a site interconnect) is the sum over its ports: traffic from site A
to site B is A's outbound and B's inbound.

**Samples.** The poller stores one sample per interface and poll: the counter delta (octets in and
out) over ``seconds`` ending at ``end``; a delta it could not trust (a device restart, a counter
discontinuity, a width change, an implausible wrap) is no sample at all (see
``performance/rates.py``). So a reset or an unreachable device is a *gap*: time with no sample.

**Intervals.** Volumes are kept per interval of ``interval_s`` seconds aligned to UTC (it divides a
day), rate samples per ``rate_interval_s`` (300: the 5-minute samples burstable billing ranks).
A sample spanning a boundary is shared between the intervals pro rata of its time, in whole octets
that add up to the sample's (rounding at cumulative positions), so no octet is made or lost at a
boundary. An interval is measured only over the service's own window (from the instant it was
activated to the instant it was terminated): a record's ``start``/``end`` are that part.

**Complete intervals only.** An interval is published once every measuring interface has a sample
ending at or after its end (everything inside it is known), or once ``grace_s`` passed after its end
(an interface that stays silent). Then it is fixed: octets a later sample would have put into it are
not added (the record is immutable, its id its idempotency key); ``grace_s`` bounds that.

**Honest gaps.** ``measured_s`` is the time within the record's part that *every* interface was
covered by samples. An interval none of them covered makes no record (never a zero that was not
measured); a partly covered one carries its measured octets and ``measured_s``, nothing filled in.
A rate is the octets over the seconds measured (not over the whole interval, which would count a gap
as silence), and is published only when every interface was measured at least ``min_rate_coverage``
of the part.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from oss_agent.domain.errors import DomainError

DAY_S = 86_400
MBPS = Decimal("0.000001")  # a rate's precision: 1 bit/s
MEASURES = ("pe", "ce")


class UsageKind(StrEnum):
    VOLUME = "volume"  # octets in and out over an interval
    RATE = "rate"  # the average Mbit/s in and out over a (5-minute) interval


def check_interval(seconds: int, what: str) -> int:
    """``seconds`` if it is a whole number of seconds dividing a day (so intervals align to UTC days)."""
    if seconds < 1 or DAY_S % seconds:
        raise DomainError(f"{what} must divide a day (86400 s) into whole intervals, got {seconds}")
    return seconds


@dataclass(frozen=True, slots=True)
class UsageSettings:
    interval_s: int = 3600
    rate_interval_s: int = 300
    grace_s: float = 3600.0
    min_rate_coverage: float = 0.5
    backlog_s: float = 2 * DAY_S  # how far back a new meter starts (the raw samples' retention)

    def __post_init__(self) -> None:
        check_interval(self.interval_s, "the usage interval")
        check_interval(self.rate_interval_s, "the rate sample interval")
        if not 0 < self.min_rate_coverage <= 1:
            raise DomainError("min_rate_coverage is a fraction in (0, 1]")


@dataclass(frozen=True, slots=True)
class CounterSample:
    """One poll's counter delta on one interface: octets over ``seconds`` ending at ``end``."""

    end: float
    seconds: float
    in_octets: int
    out_octets: int

    @property
    def start(self) -> float:
        return self.end - self.seconds


@dataclass(frozen=True, slots=True)
class MeasurePoint:
    """A customer-facing interface; ``provider_side``: its out octets are the customer's inbound."""

    device: str
    interface: str
    provider_side: bool

    @property
    def resource(self) -> str:
        return f"{self.device}:{self.interface}"


def measure_points(resources: Iterable[str], cpe_devices: Iterable[str], measure: str) -> tuple[MeasurePoint, ...]:
    """The interfaces among a service's ``resources`` that measure it (see the module's docstring)."""
    if measure not in MEASURES:
        raise DomainError(f"usage is measured on {' or '.join(MEASURES)}, not {measure!r}")
    cpes = set(cpe_devices)
    points = []
    for resource in sorted(set(resources)):
        device, sep, interface = resource.partition(":")
        if sep and interface and (device in cpes) == (measure == "ce"):
            points.append(MeasurePoint(device, interface, provider_side=measure == "pe"))
    return tuple(points)


@dataclass(frozen=True, slots=True)
class Slice:
    """One interface's part of an interval: the octets in and out, and the seconds samples covered."""

    in_octets: int = 0
    out_octets: int = 0
    measured_s: float = 0.0


def _share(octets: int, sample: CounterSample, upto: float) -> int:
    """The octets of ``sample`` before ``upto``, rounded at this cumulative position: the shares of
    consecutive pieces are differences of these, so they add up to the sample's octets exactly."""
    if upto <= sample.start:
        return 0
    if upto >= sample.end:
        return octets
    fraction = Decimal(upto - sample.start) / Decimal(sample.seconds)
    return int((octets * fraction).to_integral_value(ROUND_HALF_UP))


def slice_of(samples: Sequence[CounterSample], start: float, end: float) -> Slice:
    """What ``samples`` (one interface's) measured within ``[start, end)``."""
    octets_in = octets_out = 0
    windows: list[tuple[float, float]] = []
    for sample in samples:
        if sample.seconds <= 0 or sample.end <= start or sample.start >= end:
            continue
        octets_in += _share(sample.in_octets, sample, end) - _share(sample.in_octets, sample, start)
        octets_out += _share(sample.out_octets, sample, end) - _share(sample.out_octets, sample, start)
        windows.append((max(sample.start, start), min(sample.end, end)))
    covered, reach = 0.0, start
    for low, high in sorted(windows):  # the union: overlapping windows (clock jitter) count once
        low = max(low, reach)
        if high > low:
            covered += high - low
            reach = high
    return Slice(octets_in, octets_out, round(covered, 3))


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One published usage: ``id`` is ``<service>:<kind>:<interval start>:<length>`` (its idempotency
    key); ``start``/``end`` the part of the interval measured for the service."""

    id: str
    service_id: str
    kind: UsageKind
    interval_start: float
    interval_s: int
    start: float
    end: float
    measured_s: float
    interfaces: tuple[str, ...]
    inbound_octets: int | None = None
    outbound_octets: int | None = None
    inbound_mbps: Decimal | None = None
    outbound_mbps: Decimal | None = None


def usage_id(service_id: str, kind: UsageKind, interval_start: float, interval_s: int) -> str:
    stamp = datetime.fromtimestamp(interval_start, UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{service_id}:{kind.value}:{stamp}:{interval_s}"


@dataclass
class Meter:
    """The measurement of one service: its interfaces, its window ``[since, until)``, whether it gets
    rate samples, and where each kind's next interval starts (its cursor)."""

    service_id: str
    points: tuple[MeasurePoint, ...]
    since: float
    until: float | None = None
    rate_samples: bool = False
    next_start: dict[UsageKind, float] = field(default_factory=dict)

    def kinds(self) -> tuple[UsageKind, ...]:
        return (UsageKind.VOLUME, UsageKind.RATE) if self.rate_samples else (UsageKind.VOLUME,)

    def length(self, kind: UsageKind, settings: UsageSettings) -> int:
        return settings.rate_interval_s if kind is UsageKind.RATE else settings.interval_s

    def first_start(self, kind: UsageKind, settings: UsageSettings, now: float) -> float:
        """Where a kind's cursor starts: the interval holding ``since``, no further back than the backlog."""
        length = self.length(kind, settings)
        return float(int(max(self.since, now - settings.backlog_s) // length) * length)

    def earliest(self, settings: UsageSettings, now: float) -> float:
        return min(self.next_start.get(k, self.first_start(k, settings, now)) for k in self.kinds())

    def finished(self, settings: UsageSettings, now: float) -> bool:
        """Terminated and every interval up to its end handled: nothing more will come."""
        return self.until is not None and all(
            self.next_start.get(k, self.first_start(k, settings, now)) >= self.until for k in self.kinds()
        )


@dataclass
class Published:
    records: list[UsageRecord] = field(default_factory=list)
    gaps: int = 0  # complete intervals with nothing measured: no record


def _complete(
    end: float, observed: Mapping[str, float], points: Sequence[MeasurePoint], now: float, grace: float
) -> bool:
    if now < end:
        return False
    return now >= end + grace or all(observed.get(p.resource, float("-inf")) >= end for p in points)


def _record(
    meter: Meter,
    kind: UsageKind,
    interval: tuple[float, float],
    part: tuple[float, float],
    slices: Sequence[Slice],
    settings: UsageSettings,
) -> UsageRecord | None:
    """The record of one complete interval, or None when it measured nothing (or too little for a rate)."""
    (a, b), (low, high) = interval, part
    if all(s.measured_s <= 0 for s in slices):
        return None
    pairs = list(zip(meter.points, slices, strict=True))
    inbound = [s.out_octets if p.provider_side else s.in_octets for p, s in pairs]
    outbound = [s.in_octets if p.provider_side else s.out_octets for p, s in pairs]
    record = UsageRecord(
        usage_id(meter.service_id, kind, a, int(b - a)),
        meter.service_id,
        kind,
        a,
        int(b - a),
        low,
        high,
        min(s.measured_s for s in slices),
        tuple(p.resource for p in meter.points),
    )
    if kind is UsageKind.VOLUME:
        return replace(record, inbound_octets=sum(inbound), outbound_octets=sum(outbound))
    if any(s.measured_s < settings.min_rate_coverage * (high - low) for s in slices):
        return None

    def mbps(octets: Sequence[int]) -> Decimal:
        total = sum(
            (Decimal(o * 8) / Decimal(str(s.measured_s)) for o, s in zip(octets, slices, strict=True)), Decimal(0)
        )
        return (total / 1_000_000).quantize(MBPS, ROUND_HALF_UP)

    return replace(record, inbound_mbps=mbps(inbound), outbound_mbps=mbps(outbound))


def publish(
    meter: Meter,
    samples: Mapping[str, Sequence[CounterSample]],
    observed: Mapping[str, float],
    now: float,
    settings: UsageSettings,
) -> Published:
    """The records of every interval of ``meter`` that is complete at ``now``, advancing its cursors.

    ``samples``: per interface (``device:interface``), its samples ending after the meter's earliest
    cursor, oldest first; ``observed``: per interface, the end of its newest sample (however old).
    """
    out = Published()
    for kind in meter.kinds():
        length = meter.length(kind, settings)
        a = meter.next_start.get(kind, meter.first_start(kind, settings, now))
        while meter.until is None or a < meter.until:
            b = float((int(a // length) + 1) * length)  # the next boundary (a cursor may sit off one)
            low, high = max(a, meter.since), b if meter.until is None else min(b, meter.until)
            if high > low and not _complete(high, observed, meter.points, now, settings.grace_s):
                break
            if high > low:
                slices = [slice_of(samples.get(p.resource, ()), low, high) for p in meter.points]
                record = _record(meter, kind, (a, b), (low, high), slices, settings) if slices else None
                if record is not None:
                    out.records.append(record)
                elif kind is UsageKind.VOLUME:
                    out.gaps += 1
            a = b
        meter.next_start[kind] = a
    return out
