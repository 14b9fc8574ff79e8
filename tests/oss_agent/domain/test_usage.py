"""The interval maths of usage: boundaries, gaps, resets, partial intervals, completeness, idempotency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oss_agent.domain.errors import DomainError
from oss_agent.domain.usage import (
    CounterSample,
    MeasurePoint,
    Meter,
    UsageKind,
    UsageRecord,
    UsageSettings,
    measure_points,
    publish,
    slice_of,
    usage_id,
)

H = 3600.0
T0 = 1_772_352_000.0  # 2026-03-01T08:00:00Z, a whole hour
PE = MeasurePoint("pe1", "eth2", provider_side=True)
SETTINGS = UsageSettings(interval_s=3600, rate_interval_s=300, grace_s=600)


def steady(start: float, end: float, every: float, in_per_s: int, out_per_s: int) -> list[CounterSample]:
    """Samples every ``every`` seconds from ``start`` to ``end`` at a constant rate."""
    out, t = [], start
    while t + every <= end + 1e-9:
        out.append(CounterSample(t + every, every, int(in_per_s * every), int(out_per_s * every)))
        t += every
    return out


def meter(**kw: object) -> Meter:
    values: dict[str, object] = {"service_id": "svc", "points": (PE,), "since": T0} | kw
    return Meter(**values)  # type: ignore[arg-type]


def run(m: Meter, samples: list[CounterSample], now: float, settings: UsageSettings = SETTINGS) -> list[UsageRecord]:
    observed = {PE.resource: max((s.end for s in samples), default=float("-inf"))}
    return list(publish(m, {PE.resource: samples}, observed, now, settings).records)


def test_customer_facing_interfaces_are_the_pe_ports_or_the_ce_uplinks() -> None:
    resources = ["ce1", "ce1:eth0", "ce2", "ce2:eth0", "pe1", "pe1:eth2", "pe2", "pe2:eth2"]
    pe = measure_points(resources, {"ce1", "ce2"}, "pe")
    assert [p.resource for p in pe] == ["pe1:eth2", "pe2:eth2"] and all(p.provider_side for p in pe)
    ce = measure_points(resources, {"ce1", "ce2"}, "ce")
    assert [p.resource for p in ce] == ["ce1:eth0", "ce2:eth0"] and not any(p.provider_side for p in ce)
    with pytest.raises(DomainError, match="measured on pe or ce"):
        measure_points(resources, set(), "p")


def test_a_sample_across_a_boundary_is_shared_pro_rata_in_whole_octets() -> None:
    # 60 s from 08:59:30 to 09:00:30 carrying 1001 octets in: 500.5 before the hour, rounded at the position
    sample = CounterSample(T0 + H + 30, 60, 1001, 7)
    before, after = slice_of([sample], T0, T0 + H), slice_of([sample], T0 + H, T0 + 2 * H)
    assert (before.in_octets, after.in_octets) == (501, 500)
    assert before.out_octets + after.out_octets == 7
    assert before.measured_s == after.measured_s == 30


@given(
    st.lists(st.tuples(st.floats(0.5, 900), st.integers(0, 10**12), st.integers(0, 10**12)), min_size=1, max_size=40),
    st.sampled_from([60, 300, 900, 3600]),
)
def test_no_octet_is_made_or_lost_at_boundaries(parts: list[tuple[float, int, int]], length: int) -> None:
    samples, t = [], T0 + 17.25
    for seconds, octets_in, octets_out in parts:
        t += seconds
        samples.append(CounterSample(t, seconds, octets_in, octets_out))
    first, last = int(samples[0].start // length) * length, samples[-1].end
    slices = []
    a = float(first)
    while a < last:
        slices.append(slice_of(samples, a, a + length))
        a += length
    assert sum(s.in_octets for s in slices) == sum(p[1] for p in parts)
    assert sum(s.out_octets for s in slices) == sum(p[2] for p in parts)
    assert abs(sum(s.measured_s for s in slices) - (last - samples[0].start)) < 0.01 * len(slices)


def test_hourly_volumes_are_the_customers_directions_and_only_complete_hours() -> None:
    # 100 octets/s into the PE port (the customer sends), 300 out of it (the customer receives)
    samples = steady(T0, T0 + 2 * H + 120, 60, 100, 300)
    m = meter()
    records = run(m, samples, now=T0 + 2 * H + 125)
    volumes = [r for r in records if r.kind is UsageKind.VOLUME]
    assert [(r.start, r.end) for r in volumes] == [(T0, T0 + H), (T0 + H, T0 + 2 * H)]
    first = volumes[0]
    assert (first.inbound_octets, first.outbound_octets) == (300 * 3600, 100 * 3600)
    assert first.measured_s == 3600
    assert first.id == usage_id("svc", UsageKind.VOLUME, T0, 3600) == "svc:volume:20260301T080000Z:3600"
    # the third hour has not ended: nothing for it, and the cursor waits there
    assert m.next_start[UsageKind.VOLUME] == T0 + 2 * H


def test_an_hour_is_complete_only_once_observed_past_its_end_or_after_the_grace() -> None:
    samples = steady(T0, T0 + H - 30, 60, 10, 10)  # the last sample ends 30 s before the hour
    m = meter()
    assert run(m, samples, now=T0 + H + 100) == []  # ended, but not seen past: it may still get octets
    assert run(m, samples, now=T0 + H + 599) == []
    (record,) = run(m, samples, now=T0 + H + 600)  # the grace is over: published as measured
    assert record.measured_s == 3600 - 60 and record.inbound_octets == 10 * 3540
    # published once: a later sample spanning its end adds nothing to it, and it is never made again
    later = [*samples, CounterSample(T0 + H + 30, 60, 600, 600)]
    assert [r.start for r in run(m, later, now=T0 + 2 * H + 700)] == [T0 + H]


def test_a_gap_is_a_gap_never_invented_traffic() -> None:
    # samples until 08:20, nothing (device unreachable) until 08:40, then again
    samples = steady(T0, T0 + 1200, 60, 1000, 1000) + steady(T0 + 2400, T0 + H + 60, 60, 1000, 1000)
    (record,) = run(meter(), samples, now=T0 + H + 61)
    assert record.measured_s == 3600 - 1200
    assert record.inbound_octets == 1000 * 2400  # the 20 minutes are not filled in


def test_a_counter_reset_drops_its_sample_so_its_time_is_a_gap() -> None:
    # the poller drops the sample over a device restart (rates.compute): its 60 s are simply absent
    samples = [s for s in steady(T0, T0 + H + 60, 60, 50, 50) if s.end != T0 + 1800]
    (record,) = run(meter(), samples, now=T0 + H + 61)
    assert (record.measured_s, record.inbound_octets) == (3540, 50 * 3540)


def test_an_interval_nothing_measured_makes_no_record_and_the_cursor_moves_on() -> None:
    samples = steady(T0 + H, T0 + 2 * H + 60, 60, 5, 5)  # the first hour: silence of the poller
    m = meter()
    published = publish(m, {PE.resource: samples}, {PE.resource: samples[-1].end}, T0 + 2 * H + 61, SETTINGS)
    assert [r.start for r in published.records] == [T0 + H] and published.gaps == 1


def test_a_service_is_measured_from_its_activation_to_its_termination_only() -> None:
    samples = steady(T0, T0 + 3 * H, 60, 10, 20)
    m = meter(since=T0 + 1230.5, until=T0 + H + 600)
    records = run(m, samples, now=T0 + 3 * H)
    assert [(r.start, r.end) for r in records] == [(T0 + 1230.5, T0 + H), (T0 + H, T0 + H + 600)]
    assert records[0].inbound_octets == 20 * (H - 1230.5)
    assert records[0].id.endswith("20260301T080000Z:3600")  # keyed on the hour
    assert m.finished(SETTINGS, T0 + 3 * H) and run(m, samples, now=T0 + 4 * H) == []


def test_rate_samples_are_the_average_over_the_measured_seconds() -> None:
    # 1.25 Mbit/s in (156,250 octets/s), 0.5 Mbit/s out, polled every 60 s
    samples = steady(T0, T0 + 660, 60, 62_500, 156_250)
    records = run(meter(rate_samples=True), samples, now=T0 + 661)
    rates = [r for r in records if r.kind is UsageKind.RATE]
    assert [(r.start, r.end) for r in rates] == [(T0, T0 + 300), (T0 + 300, T0 + 600)]
    assert (rates[0].inbound_mbps, rates[0].outbound_mbps) == (Decimal("1.25"), Decimal("0.5"))
    assert rates[0].id == "svc:rate:20260301T080000Z:300"


def test_a_rate_sample_needs_enough_of_its_interval_measured() -> None:
    samples = steady(T0, T0 + 120, 60, 1000, 1000) + steady(T0 + 420, T0 + 660, 60, 1000, 1000)
    records = run(meter(rate_samples=True), samples, now=T0 + H + 600)
    rates = {r.start: r for r in records if r.kind is UsageKind.RATE}
    assert T0 not in rates  # 120 of 300 s measured: below half, no sample
    assert rates[T0 + 300].inbound_mbps == Decimal("0.008")  # 180 s measured, rate over those


def test_several_interfaces_add_up_and_measured_time_is_the_least_covered() -> None:
    other = MeasurePoint("pe2", "eth2", provider_side=True)
    a = steady(T0, T0 + H + 60, 60, 1, 2)
    b = steady(T0 + 600, T0 + H + 60, 60, 10, 20)
    m = meter(points=(PE, other))
    observed = {PE.resource: a[-1].end, other.resource: b[-1].end}
    (record,) = publish(m, {PE.resource: a, other.resource: b}, observed, T0 + H + 61, SETTINGS).records
    assert record.inbound_octets == 2 * 3600 + 20 * 3000 and record.outbound_octets == 3600 + 10 * 3000
    assert record.measured_s == 3000 and record.interfaces == ("pe1:eth2", "pe2:eth2")


def test_publishing_is_deterministic_and_resumes_from_its_cursor() -> None:
    samples = steady(T0, T0 + 3 * H + 60, 60, 7, 9)
    once = run(meter(rate_samples=True), samples, now=T0 + 3 * H + 61)
    resumed = meter(rate_samples=True)
    parts = run(resumed, samples, now=T0 + H + 61) + run(resumed, samples, now=T0 + 3 * H + 61)

    def by_id(records: list[UsageRecord]) -> list[UsageRecord]:
        return sorted(records, key=lambda r: r.id)

    assert by_id(once) == by_id(parts) and len({r.id for r in once}) == len(once) == 3 * 12 + 3


def test_a_cursor_off_the_boundary_after_a_change_of_interval_makes_a_short_interval() -> None:
    samples = steady(T0, T0 + 2 * H + 60, 60, 1, 1)
    m = meter(next_start={UsageKind.VOLUME: T0 + 900})  # 15-minute intervals were published up to 08:15
    records = run(m, samples, now=T0 + 2 * H + 61)
    assert (records[0].start, records[0].end, records[0].interval_s) == (T0 + 900, T0 + H, 2700)


def test_intervals_must_divide_a_day() -> None:
    with pytest.raises(DomainError, match="divide a day"):
        UsageSettings(interval_s=7)
    assert UsageSettings(interval_s=60, rate_interval_s=20).interval_s == 60
