"""Rates from counters: wraps, 64-bit counters, restarts and discontinuities (pure, no device)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters import InterfaceCounters
from oss_agent.performance.rates import WRAP_32, InterfaceRates, Skipped, compute, refreshed

T0 = datetime(2026, 11, 21, tzinfo=UTC)


def reading(octets_in: int, uptime: float, bits: int = 64, discontinuity: float | None = 0.0) -> InterfaceCounters:
    return InterfaceCounters(
        "eth1",
        bits,
        uptime,
        T0 + timedelta(seconds=uptime),
        in_octets=octets_in,
        out_octets=octets_in // 2,
        in_unicast_packets=octets_in // 100,
        discontinuity_time=discontinuity,
    )


def test_plain_rate_and_utilisation() -> None:
    rates = compute(reading(1_000, 100.0), reading(1_000 + 125_000_000, 110.0), speed_bps=10**9)
    assert isinstance(rates, InterfaceRates)
    assert rates.in_bps == pytest.approx(100_000_000)
    assert rates.in_utilisation == pytest.approx(10.0)
    assert rates.out_bps == pytest.approx(50_000_000)
    assert rates.interval_s == pytest.approx(10.0)


def test_32_bit_counter_wrap_gives_the_true_rate() -> None:
    before = reading(WRAP_32 - 1_000, 100.0, bits=32)
    after = replace(
        reading(4_000, 101.0, bits=32), out_octets=before.out_octets + 10, in_unicast_packets=before.in_unicast_packets
    )
    rates = compute(before, after, speed_bps=10**9)
    assert isinstance(rates, InterfaceRates)
    assert rates.in_bps == pytest.approx(5_000 * 8)
    assert rates.out_bps == pytest.approx(80)


def test_64_bit_counter_going_backwards_is_dropped() -> None:
    result = compute(reading(10_000, 100.0), reading(5_000, 101.0), speed_bps=10**9)
    assert isinstance(result, Skipped) and "went backwards on a 64-bit counter" in result.reason


def test_device_restart_drops_the_sample_instead_of_a_spike() -> None:
    result = compute(reading(WRAP_32 - 10, 5000.0, bits=32), reading(100, 12.0, bits=32), speed_bps=10**9)
    assert isinstance(result, Skipped) and "restarted" in result.reason


def test_discontinuity_time_change_drops_the_sample() -> None:
    result = compute(reading(10, 100.0, discontinuity=0.0), reading(20, 110.0, discontinuity=105.0), 10**9)
    assert isinstance(result, Skipped) and "discontinuity" in result.reason


def test_implausible_wrap_is_dropped() -> None:
    # on a 10 Mbit/s link a "wrap" implying 4 GB in 1 s is a reset, not traffic
    result = compute(reading(1_000_000, 100.0, bits=32), reading(10, 101.0, bits=32), speed_bps=10_000_000)
    assert isinstance(result, Skipped) and "implausible" in result.reason


def test_width_change_and_zero_interval_are_dropped() -> None:
    assert isinstance(compute(reading(1, 100.0, bits=32), reading(2, 110.0, bits=64), None), Skipped)
    same = reading(1, 100.0)
    assert isinstance(compute(same, replace(same, in_octets=5), None), Skipped)


def test_unknown_speed_gives_rates_without_utilisation() -> None:
    rates = compute(reading(0, 1.0), reading(800, 2.0), speed_bps=None)
    assert isinstance(rates, InterfaceRates) and rates.in_utilisation is None and rates.in_bps == 6400


@given(st.integers(0, WRAP_32 - 1), st.integers(1, 10**6), st.floats(1.0, 600.0), st.sampled_from([32, 64]))
def test_any_constant_rate_is_recovered_across_wraps(start: int, per_second: int, seconds: float, bits: int) -> None:
    moved = int(per_second * seconds)
    end = (start + moved) % (WRAP_32 if bits == 32 else 2**64)
    before = reading(start, 1000.0, bits=bits)
    after = replace(
        reading(end, 1000.0 + seconds, bits=bits),
        out_octets=before.out_octets,
        in_unicast_packets=before.in_unicast_packets,
    )
    rates = compute(before, after, speed_bps=None)
    assert isinstance(rates, InterfaceRates)
    assert rates.in_bps == pytest.approx(moved * 8 / seconds)


def test_a_reading_from_the_agents_cache_is_not_a_new_observation() -> None:
    base = reading(1_000, uptime=100.0)
    assert not refreshed([base], [reading(1_000, uptime=101.0)], cache_s=5.0)
    assert refreshed([base], [reading(1_001, uptime=100.5)], cache_s=5.0)  # a counter moved
    assert refreshed([base], [reading(1_000, uptime=105.0)], cache_s=5.0)  # idle long enough: a real zero
    assert refreshed([base], [reading(1_000, uptime=3.0)], cache_s=5.0)  # restarted: compute() drops it
    assert refreshed([], [reading(1_000, uptime=101.0)], cache_s=5.0)  # nothing to compare with yet


class CachingAgent:
    """An SNMP agent that counts a constant traffic rate but reloads its counters at most every
    ``cache_s`` seconds, as net-snmp does (3 s)."""

    def __init__(self, bps: int, cache_s: float) -> None:
        self.bps, self.cache_s, self.loaded_at, self.octets = bps, cache_s, 0.0, 0

    def read(self, now: float) -> InterfaceCounters:
        if now - self.loaded_at >= self.cache_s:
            self.loaded_at, self.octets = now, int(now * self.bps / 8)
        return reading(self.octets, uptime=now)


@pytest.mark.parametrize("poll_every_s", [0.05, 0.5, 1.0, 2.0, 3.0, 7.0])
def test_polls_faster_than_the_agents_cache_give_true_rates_not_zeros_and_bursts(poll_every_s: float) -> None:
    """Before readings from the cache were recognised, polls every 0.05 s gave zeros then bursts of
    ~60 Gbit/s (skipped as implausible); polls every 2 s gave 0 and 2x the true rate in turn."""
    agent, bps = CachingAgent(bps=500_000_000, cache_s=3.0), 500_000_000
    base = agent.read(0.0)
    computed: list[InterfaceRates] = []
    now = 0.0
    while now < 60.0:
        now += poll_every_s
        current = agent.read(now)
        if not refreshed([base], [current], cache_s=5.0):
            continue
        result = compute(base, current, 1_000_000_000)
        base = current
        assert isinstance(result, InterfaceRates), result
        computed.append(result)
    # the samples cover the whole run (no interval lost), at most one poll interval plus one cache time short
    assert sum(r.interval_s for r in computed) >= 60.0 - poll_every_s - 3.0
    # the agent reloads when a request finds its cache expired, so a refreshed reading was loaded at
    # the poll that saw it: every rate is the true one
    assert [r.in_bps for r in computed] == pytest.approx([bps] * len(computed), rel=1e-6)
