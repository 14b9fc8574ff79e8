"""Bill cycles: the account's bill cycle day and time zone, and the billing periods they cut.

Why this shape: the bugs billing systems keep hitting here (Kill Bill #127: a BCD of 31 stopped
billing after 31 March; Lago's 29th-31st anniversaries that overlapped or left gaps; Python's
``relativedelta(months=1)`` drifting 31 -> 28 -> 28) all come from deriving a boundary from the
previous boundary. Here every boundary is computed from the stored anchor alone:

    boundary(year, month) = local midnight of min(bill_cycle_day, days in that month)

so a BCD of 31 bills on 31 January, 28 (or 29) February, 31 March, 30 April, and consecutive
periods tile by construction (the end of one is the very value the next starts with).

A period is a half-open interval of *local dates* ``[start, end)`` in the account's zone, and the
same interval as UTC instants ``[starts_at, ends_at)``: the instant a local date starts is the first
instant whose local date it is (a midnight that a DST change skips starts at the transition). A DST
change therefore makes a period an hour shorter or longer in instants but never changes its length
in days, which is what proration counts. A local date a zone skipped entirely (Samoa, 30 December
2011) starts and ends at the same instant.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bss_bridge.domain.billing.errors import InvalidBillCycleError, InvalidBillingInputError

LAST_DAY = 31
"""The bill cycle day meaning "the last day of every month" (31 clamps to each month's last day)."""


def parse_bill_cycle_day(value: int | str) -> int:
    """A bill cycle day from an account's setting: 1-31, or ``"last"`` for the month's last day."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "last":
            return LAST_DAY
        if not text.isdigit():
            raise InvalidBillCycleError(f"bill cycle day {value!r} is neither 1-31 nor 'last'")
        value = int(text)
    if isinstance(value, bool) or not 1 <= value <= LAST_DAY:
        raise InvalidBillCycleError(f"bill cycle day {value!r} is not in 1-31 (or 'last')")
    return value


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone called ``name``, or a clear error naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidBillCycleError(f"time zone {name!r} is not an IANA zone name (e.g. 'Europe/Paris')") from exc


def require_aware(instant: datetime, what: str) -> datetime:
    """``instant`` if it carries a UTC offset: a naive datetime has no place in billing."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidBillingInputError(f"{what} {instant.isoformat()} has no time zone; pass an aware datetime")
    return instant


@dataclass(frozen=True, slots=True)
class BillingPeriod:
    """``[start, end)`` in the account's local dates, and the same interval in UTC instants: one of
    the cycle's periods, or a part of one that a line covers (TMF678 ``periodCoverage``)."""

    start: date
    end: date
    starts_at: datetime
    ends_at: datetime

    @property
    def days(self) -> int:
        """Length in local calendar days (28-31 for a monthly period): proration's denominator."""
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and not isinstance(day, datetime) and self.start <= day < self.end

    def __str__(self) -> str:
        """Half-open, as stored and computed (``2026-03-16..2026-04-01``): errors and logs."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def shown(self) -> str:
        """As a person reads it: the local dates covered, the last one included (``2026-03-16 –
        2026-03-31``; one date for a day, or for a one-time charge's instant). Line descriptions,
        invoices and the CLI show periods so."""
        last = self.end - timedelta(days=1)
        return self.start.isoformat() if last <= self.start else f"{self.start.isoformat()} – {last.isoformat()}"


@dataclass(frozen=True, slots=True)
class BillCycle:
    """An account's bill cycle: ``day`` of the month (1-31; 29-31 and :data:`LAST_DAY` clamp to
    shorter months) and the IANA ``zone`` its dates are in."""

    day: int
    zone: str

    def __post_init__(self) -> None:
        parse_bill_cycle_day(self.day)
        zone_of(self.zone)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def boundary(self, year: int, month: int) -> date:
        """The local date the cycle's period starts on in ``year``-``month`` (clamped, never chained)."""
        return date(year, month, min(self.day, calendar.monthrange(year, month)[1]))

    def start_of(self, day: date) -> datetime:
        """The UTC instant ``day`` starts at in the account's zone (the first instant of that local date)."""
        return _start_of(self.zone, day)

    def local_date(self, instant: datetime) -> date:
        """The account's local date at ``instant`` (an aware datetime)."""
        return _local_date(self.zone, require_aware(instant, "instant"))

    def period_containing(self, day: date) -> BillingPeriod:
        """The billing period that the local date ``day`` falls in."""
        return _period_containing(self, day)

    def period_at(self, instant: datetime) -> BillingPeriod:
        """The billing period the aware ``instant`` falls in."""
        return self.period_containing(self.local_date(instant))

    def following(self, period: BillingPeriod) -> BillingPeriod:
        return self.period_containing(period.end)

    def preceding(self, period: BillingPeriod) -> BillingPeriod:
        return self.period_containing(period.start - timedelta(days=1))

    def periods(self, start: date, end: date) -> list[BillingPeriod]:
        """The periods that together cover the local dates ``[start, end)``, in order."""
        found: list[BillingPeriod] = []
        if start >= end:
            return found
        period = self.period_containing(start)
        while period.start < end:
            found.append(period)
            period = self.following(period)
        return found

    def span(self, start: date, end: date) -> BillingPeriod:
        """The local dates ``[start, end)`` with their instants in the account's zone."""
        if start > end:
            raise InvalidBillingInputError(f"a span cannot end ({end}) before it starts ({start})")
        return BillingPeriod(start, end, self.start_of(start), self.start_of(end))

    def check_period(self, period: BillingPeriod) -> BillingPeriod:
        """``period`` itself if it is one of this cycle's periods, else an error saying which is."""
        expected = self.period_containing(period.start)
        if expected != period:
            raise InvalidBillingInputError(f"period {period} is not a period of this bill cycle ({expected} is)")
        return period


# A bill run asks for the same few periods, midnights and local dates (of each subscription's activation
# and changes) thousands of times: all are pure, so cached.
@lru_cache(maxsize=4096)
def _period_containing(cycle: BillCycle, day: date) -> BillingPeriod:
    this = cycle.boundary(day.year, day.month)
    if day >= this:
        return cycle.span(this, cycle.boundary(*_shift(day.year, day.month, 1)))
    return cycle.span(cycle.boundary(*_shift(day.year, day.month, -1)), this)


@lru_cache(maxsize=4096)
def _local_date(zone: str, instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


@lru_cache(maxsize=4096)
def _start_of(zone: str, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def months_after(anchor: date, months: int) -> date:
    """The date ``months`` calendar months after ``anchor``, its day clamped to that month's length
    (31 January + 1 -> 28/29 February, + 2 -> 31 March: computed from the anchor, never chained)."""
    year, month = _shift(anchor.year, anchor.month, months)
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def _shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1
