"""Bill cycles: month ends, leap days, time zones and DST, and the tiling property."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss_bridge.domain.billing.cycles import (
    LAST_DAY,
    BillCycle,
    BillingPeriod,
    months_after,
    parse_bill_cycle_day,
)
from bss_bridge.domain.billing.errors import InvalidBillCycleError, InvalidBillingInputError

ZONES = (
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Lord_Howe",
    "America/Havana",
    "America/Santiago",
    "Asia/Kathmandu",
    "Pacific/Chatham",
)


def starts(cycle: BillCycle, first: date, count: int) -> list[date]:
    period = cycle.period_containing(first)
    found = []
    for _ in range(count):
        found.append(period.start)
        period = cycle.following(period)
    return found


@pytest.mark.parametrize(
    ("day", "first", "expected"),
    [
        # Kill Bill #127: BCD 31 must keep billing after 31 March, and in February and April.
        (31, date(2023, 1, 31), ["2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30", "2023-05-31", "2023-06-30"]),
        (31, date(2024, 1, 31), ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]),
        (30, date(2024, 1, 30), ["2024-01-30", "2024-02-29", "2024-03-30", "2024-04-30"]),
        (29, date(2023, 1, 29), ["2023-01-29", "2023-02-28", "2023-03-29"]),
        (29, date(2024, 1, 29), ["2024-01-29", "2024-02-29", "2024-03-29"]),
        (1, date(2023, 12, 1), ["2023-12-01", "2024-01-01", "2024-02-01", "2024-03-01"]),
        (28, date(2024, 2, 28), ["2024-02-28", "2024-03-28"]),
    ],
)
def test_month_ends_clamp_the_anchor_per_month_without_drift(day: int, first: date, expected: list[str]) -> None:
    assert [d.isoformat() for d in starts(BillCycle(day, "UTC"), first, len(expected))] == expected


@pytest.mark.parametrize(
    ("day", "inside", "start", "end", "days"),
    [
        (1, date(2024, 2, 29), date(2024, 2, 1), date(2024, 3, 1), 29),  # leap day
        (1, date(2023, 2, 28), date(2023, 2, 1), date(2023, 3, 1), 28),
        (31, date(2024, 2, 29), date(2024, 2, 29), date(2024, 3, 31), 31),
        (31, date(2024, 2, 28), date(2024, 1, 31), date(2024, 2, 29), 29),
        (15, date(2024, 1, 14), date(2023, 12, 15), date(2024, 1, 15), 31),  # across a year end
        (LAST_DAY, date(2024, 4, 30), date(2024, 4, 30), date(2024, 5, 31), 31),
    ],
)
def test_the_period_containing_a_date(day: int, inside: date, start: date, end: date, days: int) -> None:
    period = BillCycle(day, "UTC").period_containing(inside)
    assert (period.start, period.end, period.days) == (start, end, days)
    assert inside in period and end not in period and start - timedelta(days=1) not in period


def test_a_dst_change_shortens_the_period_in_hours_not_in_days() -> None:
    march = BillCycle(1, "Europe/Paris").period_containing(date(2024, 3, 15))
    assert march.starts_at == datetime(2024, 2, 29, 23, tzinfo=UTC)  # CET, UTC+1
    assert march.ends_at == datetime(2024, 3, 31, 22, tzinfo=UTC)  # CEST, UTC+2
    assert march.days == 31
    assert march.ends_at - march.starts_at == timedelta(days=31, hours=-1)
    october = BillCycle(1, "Europe/Paris").period_containing(date(2024, 10, 15))
    assert october.ends_at - october.starts_at == timedelta(days=31, hours=1)


def test_a_midnight_skipped_by_dst_starts_the_day_at_the_transition() -> None:
    # Cuba springs forward at midnight: 2023-03-12 00:00 never happens, the day starts at 01:00 CDT.
    cycle = BillCycle(12, "America/Havana")
    start = cycle.start_of(date(2023, 3, 12))
    assert start == datetime(2023, 3, 12, 5, tzinfo=UTC)
    assert cycle.local_date(start) == date(2023, 3, 12)
    assert cycle.local_date(start - timedelta(microseconds=1)) == date(2023, 3, 11)


def test_a_day_the_zone_skipped_has_no_length() -> None:
    cycle = BillCycle(1, "Pacific/Apia")  # Samoa skipped 30 December 2011
    assert cycle.start_of(date(2011, 12, 30)) == cycle.start_of(date(2011, 12, 31))
    december = cycle.period_containing(date(2011, 12, 15))
    assert december.days == 31 and december.ends_at - december.starts_at == timedelta(days=30)


@pytest.mark.parametrize(
    ("zone", "instant", "expected_start"),
    [
        # Lago #662/#879: an account east of UTC bills by its own midnight, not UTC's.
        ("Asia/Tokyo", datetime(2024, 1, 31, 15, 0, tzinfo=UTC), date(2024, 2, 1)),
        ("Asia/Tokyo", datetime(2024, 1, 31, 14, 59, 59, tzinfo=UTC), date(2024, 1, 1)),
        ("America/Los_Angeles", datetime(2024, 2, 1, 7, 59, tzinfo=UTC), date(2024, 1, 1)),
        ("America/Los_Angeles", datetime(2024, 2, 1, 8, 0, tzinfo=UTC), date(2024, 2, 1)),
    ],
)
def test_an_instant_falls_in_the_period_of_its_local_date(zone: str, instant: datetime, expected_start: date) -> None:
    period = BillCycle(1, zone).period_at(instant)
    assert period.start == expected_start
    assert period.starts_at <= instant < period.ends_at


def test_periods_cover_a_range_of_dates() -> None:
    cycle = BillCycle(31, "UTC")
    found = cycle.periods(date(2024, 2, 10), date(2024, 4, 30))
    assert [str(p) for p in found] == ["2024-01-31..2024-02-29", "2024-02-29..2024-03-31", "2024-03-31..2024-04-30"]
    assert cycle.periods(date(2024, 2, 10), date(2024, 2, 10)) == []
    assert cycle.preceding(found[1]) == found[0]


@pytest.mark.parametrize(
    ("value", "expected"), [("last", LAST_DAY), (" Last ", LAST_DAY), ("7", 7), (28, 28), (31, 31)]
)
def test_bill_cycle_day_settings(value: int | str, expected: int) -> None:
    assert parse_bill_cycle_day(value) == expected


@pytest.mark.parametrize("value", [0, 32, -1, "0", "first", "", True, "3.5"])
def test_a_bill_cycle_day_outside_the_month_is_refused(value: int | str) -> None:
    with pytest.raises(InvalidBillCycleError, match="bill cycle day"):
        parse_bill_cycle_day(value)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "CET+1"])
def test_an_unknown_zone_is_refused_by_name(zone: str) -> None:
    with pytest.raises(InvalidBillCycleError, match="IANA"):
        BillCycle(1, zone)


def test_naive_instants_and_foreign_periods_are_refused() -> None:
    cycle = BillCycle(5, "Europe/Paris")
    with pytest.raises(InvalidBillingInputError, match="no time zone"):
        cycle.period_at(datetime(2024, 1, 1))  # naive on purpose
    foreign = BillCycle(1, "Europe/Paris").period_containing(date(2024, 1, 10))
    with pytest.raises(InvalidBillingInputError, match="not a period of this bill cycle"):
        cycle.check_period(foreign)
    assert cycle.check_period(cycle.period_containing(date(2024, 1, 10))).start == date(2024, 1, 5)


@given(
    day=st.integers(1, 31),
    zone=st.sampled_from(ZONES),
    first=st.dates(date(1990, 1, 1), date(2090, 12, 31)),
    count=st.integers(1, 40),
)
def test_consecutive_periods_tile_with_no_gap_and_no_overlap(day: int, zone: str, first: date, count: int) -> None:
    cycle = BillCycle(day, zone)
    period = cycle.period_containing(first)
    assert first in period
    previous: BillingPeriod | None = None
    for _ in range(count):
        if previous is not None:
            assert period.start == previous.end and period.starts_at == previous.ends_at
        assert period.start.day == min(day, calendar.monthrange(period.start.year, period.start.month)[1])
        assert 28 <= period.days <= 31
        assert period.starts_at < period.ends_at
        assert cycle.local_date(period.starts_at) == period.start
        assert cycle.period_containing(period.end - timedelta(days=1)) == period
        previous, period = period, cycle.following(period)


@given(anchor=st.dates(date(1990, 1, 1), date(2090, 12, 31)), months=st.integers(0, 240))
def test_months_after_clamps_from_the_anchor(anchor: date, months: int) -> None:
    later = months_after(anchor, months)
    assert (later.year * 12 + later.month) - (anchor.year * 12 + anchor.month) == months
    assert later.day == anchor.day or (later.day < anchor.day and (later + timedelta(days=1)).day == 1)
