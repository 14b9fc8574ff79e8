"""SLA: a subscription's availability over a billing period, and the credit its terms grant.

How availability is measured (the carriers' usual definition, e.g. "(total - excused - outage) /
(total - excused)"): the measured time is the subscription's active days in the period (local days
of the account's zone, as billed), minus the maintenance windows; the downtime is the union of the
outage intervals (overlapping or repeated outages count once), clipped to the period and with the
maintenance windows cut out. An outage still open counts until the period's end.

    availability % = 100 * (measured - down) / measured      (100 when nothing is measured)

computed exactly from microseconds, never a float. The credit is the ``credit_pct`` of the lowest
tier bound the availability is strictly below (``SlaTerms``), applied to the period's recurring
charge after promotions; it is shown with the availability truncated (never rounded up across a
tier bound: 99.8999 % shows 99.899 %, not 99.900 %).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from bss_bridge.domain.billing.cycles import require_aware
from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.pricing import SlaTerms

HUNDRED = Decimal(100)
SHOWN = Decimal("0.001")
Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Outage:
    """The service was unavailable from ``start`` until ``end`` (None: not restored yet)."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self.start, "outage start")
        if self.end is not None and require_aware(self.end, "outage end") < self.start:
            raise InvalidBillingInputError(f"an outage cannot end ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """Announced maintenance from ``start`` to ``end``: excused, neither measured nor down."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if require_aware(self.end, "maintenance end") < require_aware(self.start, "maintenance start"):
            raise InvalidBillingInputError(f"a maintenance window cannot end ({self.end}) before it starts")


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping, non-touching intervals covering the same instants."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    return merge((max(s, window[0]), min(e, window[1])) for s, e in intervals)


def subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    """``intervals`` minus ``holes`` (both merged)."""
    found: list[Interval] = []
    for start, end in intervals:
        for hole_start, hole_end in holes:
            if hole_end <= start or hole_start >= end:
                continue
            if hole_start > start:
                found.append((start, hole_start))
            start = max(start, hole_end)
        if start < end:
            found.append((start, end))
    return found


def _micro(intervals: Iterable[Interval]) -> int:
    return sum((end - start) // timedelta(microseconds=1) for start, end in intervals)


@dataclass(frozen=True, slots=True)
class Availability:
    """Measured and unavailable time (microseconds) and the exact percentage."""

    measured_us: int
    down_us: int

    @property
    def percent(self) -> Decimal:
        if not self.measured_us:
            return HUNDRED
        return HUNDRED * (self.measured_us - self.down_us) / self.measured_us

    @property
    def shown(self) -> Decimal:
        """The percentage as printed: truncated to 3 decimals, never rounded up."""
        return self.percent.quantize(SHOWN, rounding=ROUND_FLOOR)


def availability(
    window: Interval, outages: Iterable[Outage], maintenance: Iterable[MaintenanceWindow] = ()
) -> Availability:
    """Availability over ``window`` (the active part of the period, UTC instants)."""
    excused = clip(((m.start, m.end) for m in maintenance), window)
    down = subtract(clip(((o.start, window[1] if o.end is None else o.end) for o in outages), window), excused)
    return Availability(_micro([window]) - _micro(excused), _micro(down))


def credit_percent(terms: SlaTerms, percent: Decimal) -> Decimal:
    """The credit (percent of the recurring charge) for an availability: the lowest bound it is below."""
    earned = Decimal(0)
    for tier in terms.credit_tiers:  # highest bound first (SlaTerms checks the order)
        if percent < tier.below_pct:
            earned = tier.credit_pct
    return earned
