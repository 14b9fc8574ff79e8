"""Proration: activation, upgrade, downgrade, termination, same-day changes, zero prices,
promotions, and the reconciliation's idempotency."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss_bridge.domain.billing.cycles import BillCycle, BillingPeriod
from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.billing.lines import InvoiceLine, LineKind, TaxTerms, make_line
from bss_bridge.domain.billing.proration import expected_runs, prorate, recurring_specs
from bss_bridge.domain.billing.subscriptions import PriceChange, PriceSnapshot, Subscription, change_effective_date
from bss_bridge.domain.pricing import DiscountKind, OneTimeCharge, PerUnitUsage, Price, Promotion, RecurringCharge

D = Decimal
UTC_CYCLE = BillCycle(1, "UTC")


def offer(name: str, monthly: str, promotion: Promotion | None = None) -> PriceSnapshot:
    return PriceSnapshot(name, (Price("monthly", "EUR", RecurringCharge(D(monthly))),), promotion)


SMALL = offer("Internet 50M", "31.00")  # 1.00 a day in a 31-day month
BIG = offer("Internet 100M", "62.00")
FREE = offer("Trial", "0")


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def bill(
    subscription: Subscription, period: BillingPeriod, billed: list[InvoiceLine], cycle: BillCycle = UTC_CYCLE
) -> list[InvoiceLine]:
    return [make_line(s, "EUR", TaxTerms()) for s in recurring_specs(subscription, cycle, period, billed, "EUR")]


def summary(lines: list[InvoiceLine]) -> list[tuple[str, str, str, str, str]]:
    return [(line.kind.value, line.product, str(line.coverage), str(line.amount), str(line.discount)) for line in lines]


JANUARY = UTC_CYCLE.period_containing(date(2024, 1, 1))
FEBRUARY = UTC_CYCLE.following(JANUARY)


def test_a_full_period_is_the_monthly_price_exactly() -> None:
    sub = Subscription("s1", at(date(2023, 12, 1)), SMALL)
    assert summary(bill(sub, FEBRUARY, [])) == [
        ("recurringCharge", "Internet 50M", "2024-02-01..2024-03-01", "31.00", "0.00")
    ]


def test_activation_mid_period_is_charged_for_the_remaining_days() -> None:
    sub = Subscription("s1", at(date(2024, 1, 10)), SMALL)
    (line,) = bill(sub, JANUARY, [])
    assert (str(line.coverage), line.amount, line.period_days) == ("2024-01-10..2024-02-01", D("22.00"), 31)
    assert "22 of 31 days" in line.description


def test_an_upgrade_credits_the_unused_old_price_and_charges_the_new_one() -> None:
    sub = Subscription("s1", at(date(2023, 12, 1)), SMALL)
    january = bill(sub, JANUARY, [])  # billed in advance on 1 January
    upgraded = Subscription("s1", sub.activated_at, SMALL, (PriceChange(at(date(2024, 1, 15)), BIG),))
    assert summary(bill(upgraded, JANUARY, january)) == [
        ("recurringCredit", "Internet 50M", "2024-01-15..2024-02-01", "-17.00", "0.00"),
        ("recurringCharge", "Internet 100M", "2024-01-15..2024-02-01", "34.00", "0.00"),
    ]


def test_an_immediate_downgrade_is_credited_and_charged_like_an_upgrade() -> None:
    sub = Subscription("s1", at(date(2023, 12, 1)), BIG)
    january = bill(sub, JANUARY, [])
    downgraded = Subscription("s1", sub.activated_at, BIG, (PriceChange(at(date(2024, 1, 21)), SMALL),))
    assert summary(bill(downgraded, JANUARY, january)) == [
        ("recurringCredit", "Internet 100M", "2024-01-21..2024-02-01", "-22.00", "0.00"),
        ("recurringCharge", "Internet 50M", "2024-01-21..2024-02-01", "11.00", "0.00"),
    ]


def test_a_downgrade_waits_for_the_next_period_and_an_upgrade_does_not() -> None:
    asked = at(date(2024, 1, 21))
    assert change_effective_date(UTC_CYCLE, asked, BIG, SMALL) == date(2024, 2, 1)
    assert change_effective_date(UTC_CYCLE, asked, SMALL, BIG) == date(2024, 1, 21)
    assert change_effective_date(UTC_CYCLE, at(date(2024, 2, 1)), BIG, SMALL) == date(2024, 2, 1)
    assert change_effective_date(BillCycle(31, "UTC"), at(date(2024, 2, 10)), BIG, SMALL) == date(2024, 2, 29)


def test_a_same_day_upgrade_bills_only_the_new_price() -> None:
    day = date(2024, 1, 10)
    sub = Subscription("s1", at(day, 9), SMALL, (PriceChange(at(day, 17), BIG),))
    assert summary(bill(sub, JANUARY, [])) == [
        ("recurringCharge", "Internet 100M", "2024-01-10..2024-02-01", "44.00", "0.00")
    ]


def test_a_same_day_change_after_the_period_was_billed_reverses_it_whole() -> None:
    sub = Subscription("s1", at(date(2024, 1, 1), 0), SMALL)
    january = bill(sub, JANUARY, [])
    changed = Subscription("s1", sub.activated_at, SMALL, (PriceChange(at(date(2024, 1, 1), 15), BIG),))
    assert summary(bill(changed, JANUARY, january)) == [
        ("recurringCredit", "Internet 50M", "2024-01-01..2024-02-01", "-31.00", "0.00"),
        ("recurringCharge", "Internet 100M", "2024-01-01..2024-02-01", "62.00", "0.00"),
    ]


def test_a_zero_price_then_a_paid_one_on_the_same_day_is_not_double_billing() -> None:
    # Kill Bill #783/#877: $0 -> $3 on one day raised "Double billing detected".
    day = date(2024, 1, 10)
    three = offer("Paid", "3.00")
    assert summary(bill(Subscription("s1", at(day, 9), FREE), JANUARY, [])) == []  # no zero-amount noise line
    sub = Subscription("s1", at(day, 9), FREE, (PriceChange(at(day, 10), three),))
    (line,) = bill(sub, JANUARY, [])
    assert (line.kind, line.amount) == (LineKind.RECURRING, D("2.13"))  # 3 * 22/31 = 2.129...
    assert bill(sub, JANUARY, [line]) == []


def test_termination_credits_the_unused_days_and_its_day_is_not_billed() -> None:
    sub = Subscription("s1", at(date(2023, 12, 1)), SMALL)
    january = bill(sub, JANUARY, [])
    ended = Subscription("s1", sub.activated_at, SMALL, terminated_at=at(date(2024, 1, 25), 8))
    assert summary(bill(ended, JANUARY, january)) == [
        ("recurringCredit", "Internet 50M", "2024-01-25..2024-02-01", "-7.00", "0.00")
    ]
    assert bill(ended, FEBRUARY, []) == []


def test_activated_and_terminated_on_one_day_bills_no_day() -> None:
    sub = Subscription("s1", at(date(2024, 1, 10), 8), SMALL, terminated_at=at(date(2024, 1, 10), 20))
    assert bill(sub, JANUARY, []) == []


def test_a_percent_promotion_covers_its_months_from_the_activation_day() -> None:
    half = Promotion("Welcome -50 %", DiscountKind.PERCENT, D(50), months=2)
    sub = Subscription("s1", at(date(2024, 1, 10)), offer("Internet 50M", "31.00", half))
    march = UTC_CYCLE.period_containing(date(2024, 3, 1))
    lines = bill(sub, JANUARY, []) + bill(sub, FEBRUARY, []) + bill(sub, march, [])
    assert summary(lines) == [
        ("recurringCharge", "Internet 50M", "2024-01-10..2024-02-01", "11.00", "11.00"),
        ("recurringCharge", "Internet 50M", "2024-02-01..2024-03-01", "15.50", "15.50"),
        ("recurringCharge", "Internet 50M", "2024-03-01..2024-03-10", "4.50", "4.50"),
        ("recurringCharge", "Internet 50M", "2024-03-10..2024-04-01", "22.00", "0.00"),
    ]


def test_a_fixed_promotion_never_exceeds_the_charge() -> None:
    generous = Promotion("40 off", DiscountKind.FIXED, D(40), months=1)
    sub = Subscription("s1", at(date(2024, 1, 1), 0), offer("Internet 50M", "31.00", generous))
    (line,) = bill(sub, JANUARY, [])
    assert (line.gross, line.discount, line.amount) == (D("31.00"), D("31.00"), D("0.00"))
    ten = Promotion("10 off", DiscountKind.FIXED, D(10), months=1)
    sub = Subscription("s1", at(date(2024, 1, 17)), offer("Internet 50M", "31.00", ten))
    (line,) = bill(sub, JANUARY, [])
    assert (line.gross, line.discount, line.amount) == (D("15.00"), D("4.84"), D("10.16"))  # 10 * 15/31


def test_a_fixed_promotion_needs_one_recurring_price() -> None:
    ten = Promotion("10 off", DiscountKind.FIXED, D(10), months=1)
    prices = (Price("a", "EUR", RecurringCharge(D(1))), Price("b", "EUR", RecurringCharge(D(2))))
    with pytest.raises(InvalidBillingInputError, match="exactly one recurring"):
        PriceSnapshot("x", prices, ten)


def test_days_are_counted_in_the_accounts_zone_across_a_dst_change() -> None:
    paris = BillCycle(1, "Europe/Paris")
    march = paris.period_containing(date(2024, 3, 1))
    # 30 March 23:30 UTC is 31 March 00:30 in Paris: one day of March, not two.
    sub = Subscription("s1", datetime(2024, 3, 30, 23, 30, tzinfo=UTC), SMALL)
    (line,) = bill(sub, march, [], paris)
    assert (str(line.coverage), line.amount) == ("2024-03-31..2024-04-01", D("1.00"))
    assert line.coverage.starts_at == datetime(2024, 3, 30, 23, tzinfo=UTC)
    assert line.coverage.ends_at - line.coverage.starts_at == timedelta(hours=23)  # the day clocks spring forward


@pytest.mark.parametrize(
    ("day", "activated", "expected_coverage", "expected_amount"),
    [
        (31, date(2024, 2, 15), "2024-02-15..2024-02-29", "14.48"),  # BCD 31 in February: 14 of 29 days of 30.00
        (1, date(2024, 2, 29), "2024-02-29..2024-03-01", "1.03"),  # the leap day alone: 1/29
        (31, date(2023, 2, 27), "2023-02-27..2023-02-28", "1.07"),  # 1 of 28 days
    ],
)
def test_month_ends_and_leap_days_prorate_by_the_period_length(
    day: int, activated: date, expected_coverage: str, expected_amount: str
) -> None:
    cycle = BillCycle(day, "UTC")
    sub = Subscription("s1", at(activated), offer("x", "30.00"))
    (line,) = bill(sub, cycle.period_containing(activated), [], cycle)
    assert (str(line.coverage), str(line.amount)) == (expected_coverage, expected_amount)


def test_only_recurring_prices_are_prorated() -> None:
    snapshot = PriceSnapshot(
        "x", (Price("setup", "EUR", OneTimeCharge(D(99))), Price("traffic", "EUR", PerUnitUsage("GB", D(1))))
    )
    assert expected_runs(Subscription("s", at(date(2024, 1, 5)), snapshot), UTC_CYCLE, JANUARY) == []


@given(
    day=st.integers(1, 31),
    first=st.dates(date(2000, 1, 1), date(2040, 12, 31)),
    monthly=st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False),
)
def test_prorating_a_full_period_gives_the_full_price(day: int, first: date, monthly: Decimal) -> None:
    period = BillCycle(day, "UTC").period_containing(first)
    assert prorate(monthly, period.days, period.days) == monthly


TIMES = st.integers(0, 120 * 24)  # hours after 1 December 2023


@given(
    activated=TIMES,
    change_hours=st.lists(TIMES, max_size=3),
    ended=st.none() | TIMES,
    prices=st.lists(st.sampled_from(["0", "31.00", "62.00", "9.99"]), min_size=4, max_size=4),
)
def test_billing_again_after_any_history_owes_nothing_and_matches_the_timeline(
    activated: int, change_hours: list[int], ended: int | None, prices: list[str]
) -> None:
    origin = datetime(2023, 12, 1, tzinfo=UTC)
    start = origin + timedelta(hours=activated)
    changes = tuple(
        PriceChange(start + timedelta(hours=h), offer(f"o{i}", prices[i + 1]))
        for i, h in enumerate(sorted(change_hours))
    )
    last = changes[-1].at if changes else start
    end = None if ended is None else max(last, origin + timedelta(hours=ended))
    early = Subscription("s", start, offer("o", prices[0]))  # what the first bill run knew
    full = Subscription("s", start, offer("o", prices[0]), changes, end)
    for period in UTC_CYCLE.periods(date(2023, 12, 1), date(2024, 5, 1)):
        billed = bill(early, period, [])
        billed += bill(full, period, billed)
        assert bill(full, period, billed) == []  # idempotent
        days = {d: Decimal(0) for d in range(period.days)}
        for line in billed:
            for offset in range((line.coverage.start - period.start).days, (line.coverage.end - period.start).days):
                days[offset] += line.quantity * line.unit_price
        for offset, net in days.items():
            day = period.start + timedelta(days=offset)
            segment = next(
                (s for s in full.segments(UTC_CYCLE) if s.start <= day and (s.end is None or day < s.end)), None
            )
            assert net == (segment.snapshot.monthly_recurring if segment else 0)
