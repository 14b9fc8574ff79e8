"""Usage import and aggregation (each record counted once), rate samples, and SLA availability."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss_bridge.domain.billing.cycles import BillCycle
from bss_bridge.domain.billing.errors import InvalidBillingInputError, UsageConflictError
from bss_bridge.domain.billing.metering import UsageKind, UsageSubmission
from bss_bridge.domain.billing.sla import MaintenanceWindow, Outage, availability, credit_percent, merge
from bss_bridge.domain.billing.usage import (
    RateSample,
    UsageKey,
    UsageRecord,
    accept_usage,
    aggregate_usage,
    group_samples,
)
from bss_bridge.domain.pricing import CreditTier, SlaTerms

D = Decimal
TOKYO = BillCycle(1, "Asia/Tokyo")


def record(id_: str, hour: int, quantity: str, sub: str = "s1", day: date = date(2024, 1, 31)) -> UsageRecord:
    return UsageRecord(
        id_, sub, "GB", datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour), D(quantity)
    )


def test_an_import_counts_a_resent_record_once_and_refuses_a_changed_one() -> None:
    stored = {"u1": record("u1", 1, "5")}
    result = accept_usage(
        stored,
        [
            record("u1", 1, "5.0"),
            record("u2", 2, "1"),
            record("u2", 2, "1"),
            record("u1", 1, "6"),
            record("u3", 3, "1"),
            record("u3", 3, "2"),
        ],
    )
    assert [r.id for r in result.new] == ["u2", "u3"]
    assert result.duplicates == ("u1", "u2")
    assert result.conflicts == ("u1", "u3")


def test_a_rate_sample_s_fingerprint_is_its_exact_value() -> None:
    """Digits beyond the 28th count (the default context's normalize() rounded them away, so a
    resend with another rate was taken for the same sample); trailing zeros do not."""
    at = datetime(2024, 1, 31, 14, 55, tzinfo=UTC)

    def sample(mbps: str) -> UsageSubmission:
        return UsageSubmission("r1", UsageKind.RATE, "s1", at, None, None, None, D(mbps), D(0))

    first = "1.00000000000000000000000000001"
    assert sample(first).fingerprint != sample("1.00000000000000000000000000002").fingerprint
    assert sample(first).fingerprint == sample(first + "000").fingerprint
    assert sample("12.5").fingerprint == sample("12.50").fingerprint != sample("12.05").fingerprint


def test_usage_is_totalled_per_period_of_the_accounts_local_date() -> None:
    # 31 January 15:00 UTC is 1 February 00:00 in Tokyo: the next period.
    totals = aggregate_usage(
        [
            record("a", 14, "1.5"),
            record("b", 15, "2"),
            record("c", 20, "3"),
            record("c", 20, "3"),
            record("d", 1, "4", sub="s2"),
        ],
        TOKYO,
    )
    assert {(t.key, t.quantity, t.records) for t in totals} == {
        (UsageKey("s1", "GB", date(2024, 1, 1)), D("1.5"), 1),
        (UsageKey("s1", "GB", date(2024, 2, 1)), D(5), 2),
        (UsageKey("s2", "GB", date(2024, 1, 1)), D(4), 1),
    }


def test_totals_refuse_a_conflicting_id_and_total_nothing() -> None:
    with pytest.raises(UsageConflictError, match="u1") as caught:
        aggregate_usage([record("u1", 1, "5"), record("u1", 1, "7")], TOKYO)
    assert caught.value.usage_ids == ("u1",)
    many = [record(f"u{i}", 1, "1") for i in range(7)] + [record(f"u{i}", 1, "2") for i in range(7)]
    with pytest.raises(UsageConflictError, match="and 2 more"):
        aggregate_usage(many, TOKYO)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: UsageRecord("", "s", "GB", datetime(2024, 1, 1, tzinfo=UTC), D(1)), "needs an id"),
        (lambda: UsageRecord("u", "s", "GB", datetime(2024, 1, 1), D(1)), "no time zone"),  # naive on purpose
        (lambda: UsageRecord("u", "s", "GB", datetime(2024, 1, 1, tzinfo=UTC), D(-1)), "negative"),
        (lambda: RateSample("s", datetime(2024, 1, 1, tzinfo=UTC), D(-1), D(1)), "negative"),
        (lambda: Outage(datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)), "before it starts"),
        (lambda: MaintenanceWindow(datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)), "before"),
    ],
)
def test_bad_usage_input_is_refused_with_a_reason(make: object, message: str) -> None:
    with pytest.raises(InvalidBillingInputError, match=message):
        make()  # type: ignore[operator]


RECORDS = st.lists(
    st.tuples(st.integers(0, 30), st.integers(0, 24 * 90), st.integers(0, 10**6), st.sampled_from(["s1", "s2"])),
    max_size=60,
)


@given(RECORDS, st.lists(st.integers(0, 59), max_size=20))
def test_every_record_is_totalled_exactly_once(rows: list[tuple[int, int, int, str]], resent: list[int]) -> None:
    distinct = {
        f"u{i}": UsageRecord(f"u{i}", sub, "GB", datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=h), D(q) / 1000)
        for i, h, q, sub in rows
    }
    batch = list(distinct.values()) + [r for i in resent if (r := distinct.get(f"u{i}")) is not None]
    totals = aggregate_usage(batch, TOKYO)
    assert sum(t.records for t in totals) == len(distinct)
    assert sum((t.quantity for t in totals), D(0)) == sum((r.quantity for r in distinct.values()), D(0))
    for total in totals:
        members = [
            r
            for r in distinct.values()
            if r.subscription_id == total.key.subscription_id and TOKYO.period_at(r.at).start == total.key.period_start
        ]
        assert total.quantity == sum((r.quantity for r in members), D(0))


def test_samples_are_grouped_per_period_and_a_resent_sample_counts_once() -> None:
    first = datetime(2024, 1, 31, 14, 55, tzinfo=UTC)
    samples = [RateSample("s1", first + timedelta(minutes=5 * i), D(i), D(0)) for i in range(3)]
    sets = group_samples([*samples, samples[0]], TOKYO)
    assert sorted((s.period_start, len(s.samples)) for s in sets) == [(date(2024, 1, 1), 1), (date(2024, 2, 1), 2)]
    with pytest.raises(UsageConflictError, match="s1@"):
        group_samples([*samples, RateSample("s1", first, D(9), D(0))], TOKYO)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 6, day, hour, minute, tzinfo=UTC)


JUNE = (utc(1, 0), datetime(2024, 7, 1, tzinfo=UTC))
TERMS = SlaTerms(D("99.9"), (CreditTier(D("99.9"), D(10)), CreditTier(D(99), D(25)), CreditTier(D(95), D(100))))


def test_merge_joins_overlapping_and_touching_intervals() -> None:
    assert merge([(utc(1, 2), utc(1, 5)), (utc(1, 1), utc(1, 3)), (utc(1, 5), utc(1, 6)), (utc(2, 1), utc(2, 2))]) == [
        (utc(1, 1), utc(1, 6)),
        (utc(2, 1), utc(2, 2)),
    ]


def test_availability_merges_overlaps_and_excuses_maintenance() -> None:
    outages = [
        Outage(utc(3, 10), utc(3, 10, 30)),
        Outage(utc(3, 10, 15), utc(3, 11)),
        Outage(utc(3, 10), utc(3, 10, 30)),
    ]  # the same outage reported twice
    result = availability(JUNE, outages, [MaintenanceWindow(utc(3, 10, 45), utc(3, 11, 15))])
    minute = 60_000_000
    assert (result.measured_us, result.down_us) == ((43_200 - 30) * minute, 45 * minute)
    assert result.percent == D(100) * (43_170 - 45) / 43_170
    assert result.shown == D("99.895")
    assert credit_percent(TERMS, result.percent) == D(10)


def test_outages_are_clipped_to_the_window_and_an_open_one_runs_to_its_end() -> None:
    before = Outage(datetime(2024, 5, 31, 23, tzinfo=UTC), utc(1, 1))  # one hour inside June
    still_open = Outage(utc(30, 23))  # one hour until July
    result = availability(JUNE, [before, still_open])
    assert result.down_us == 2 * 3_600_000_000
    assert availability((utc(1, 0), utc(1, 0)), [before]).percent == D(100)  # nothing measured


@pytest.mark.parametrize(
    ("percent", "credit"),
    [
        ("100", 0),
        ("99.95", 0),
        ("99.9", 0),
        ("99.8999", 10),
        ("99", 10),
        ("98.99", 25),
        ("95", 25),
        ("94.9", 100),
        ("0", 100),
    ],
)
def test_the_lowest_bound_the_availability_is_below_decides_the_credit(percent: str, credit: int) -> None:
    assert credit_percent(TERMS, D(percent)) == credit


@given(st.lists(st.tuples(st.integers(0, 43_200), st.integers(0, 600)), max_size=15), st.integers(0, 43_200))
def test_more_outage_never_means_more_availability(spans: list[tuple[int, int]], extra: int) -> None:
    outages = [Outage(JUNE[0] + timedelta(minutes=s), JUNE[0] + timedelta(minutes=s + length)) for s, length in spans]
    base = availability(JUNE, outages)
    assert D(0) <= base.percent <= D(100)
    assert availability(JUNE, [*outages, *outages]).percent == base.percent
    worse = availability(JUNE, [*outages, Outage(JUNE[0] + timedelta(minutes=extra), JUNE[1])])
    assert worse.percent <= base.percent
    assert base.shown <= base.percent


@given(st.lists(st.tuples(st.integers(0, 90 * 288), st.sampled_from(["s1", "s2"])), max_size=80, unique=True))
def test_every_sample_lands_in_the_group_of_its_own_period(rows: list[tuple[int, str]]) -> None:
    origin = datetime(2024, 1, 1, tzinfo=UTC)
    samples = [RateSample(sub, origin + timedelta(minutes=5 * slot), D(slot), D(0)) for slot, sub in rows]
    sets = group_samples(samples, TOKYO)
    assert sum(len(s.samples) for s in sets) == len(samples)
    for found in sets:
        assert all(s.subscription_id == found.subscription_id for s in found.samples)
        assert all(TOKYO.period_at(s.at).start == found.period_start for s in found.samples)
