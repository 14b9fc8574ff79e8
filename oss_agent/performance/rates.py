"""Counters into rates: pure functions, so every edge case is tested without a device.

A rate is only as good as the two readings behind it. A sample is dropped, never invented, when:
the device restarted between readings (its uptime went backwards), the interface's counter
discontinuity time changed (counters were reset or the interface re-created), the counter width
changed, a 64-bit counter went backwards (64-bit counters do not wrap in practice), or a 32-bit
delta, even after one wrap, would mean more traffic than the interface can carry.

Agents cache their counters (net-snmp reloads its interface table at most every 3 s; other agents
cache longer). A reading taken within that cache time of the previous one repeats the same values,
and the next reload brings everything counted since: divided by the short time between the two
polls, that becomes a burst far above the real rate (often above line rate, so dropped as
implausible), after a run of false zeros. So a reading in which no counter of the device moved,
taken less than the cache time after the reading it would be compared with, is not a new
observation: :func:`refreshed` says so, and the poller keeps the older reading as the base.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adapters import InterfaceCounters

WRAP_32 = 2**32
# A single 32-bit wrap is assumed; a delta implying more than this factor of the line rate is not plausible.
PLAUSIBLE_FACTOR = 1.05
# Counters that did not move within this many seconds of the last reading came from the agent's cache.
COUNTER_CACHE_S = 5.0
NOT_REFRESHED = "counters not refreshed by the agent since the last reading"

COUNTER_FIELDS = (
    "in_octets",
    "out_octets",
    "in_unicast_packets",
    "out_unicast_packets",
    "in_multicast_packets",
    "out_multicast_packets",
    "in_broadcast_packets",
    "out_broadcast_packets",
    "in_errors",
    "out_errors",
    "in_discards",
    "out_discards",
)


@dataclass(frozen=True, slots=True)
class InterfaceRates:
    """Per-second rates of one interface over one interval; utilisation in percent of its speed."""

    name: str
    interval_s: float
    in_bps: float
    out_bps: float
    in_pps: float
    out_pps: float
    in_errors_ps: float
    out_errors_ps: float
    in_discards_ps: float
    out_discards_ps: float
    in_utilisation: float | None
    out_utilisation: float | None


@dataclass(frozen=True, slots=True)
class Skipped:
    """Why no rate was computed for this interval."""

    name: str
    reason: str


def refreshed(previous: Sequence[InterfaceCounters], current: Sequence[InterfaceCounters], cache_s: float) -> bool:
    """Whether ``current`` (one device's reading, every interface) is a new observation after
    ``previous`` (the readings it would be compared with): some counter moved, the device
    restarted, or at least ``cache_s`` seconds passed on the device's clock (then unchanged
    counters are a real zero)."""
    before = {reading.name: reading for reading in previous}
    compared = [(before[reading.name], reading) for reading in current if reading.name in before]
    if not compared:
        return True
    for old, new in compared:
        if new.device_uptime_s < old.device_uptime_s:
            return True
        if any(getattr(old, field) != getattr(new, field) for field in COUNTER_FIELDS):
            return True
    return min(interval_s(old, new) for old, new in compared) >= cache_s


def _delta(previous: int, current: int, bits: int) -> int | None:
    if current >= previous:
        return current - previous
    if bits == 32:
        return current + WRAP_32 - previous
    return None


def interval_s(previous: InterfaceCounters, current: InterfaceCounters) -> float:
    """Seconds between the readings: the device's own clock (sysUpTime) when it moved, else ours."""
    by_uptime = current.device_uptime_s - previous.device_uptime_s
    by_wall = (current.read_at - previous.read_at).total_seconds()
    return by_uptime if by_uptime > 0 else by_wall


def compute(previous: InterfaceCounters, current: InterfaceCounters, speed_bps: int | None) -> InterfaceRates | Skipped:
    """Rates between two readings of one interface, or the reason there are none."""
    name = current.name
    if current.device_uptime_s < previous.device_uptime_s:
        return Skipped(name, "device restarted (uptime went backwards)")
    if (
        current.discontinuity_time is not None
        and previous.discontinuity_time is not None
        and current.discontinuity_time != previous.discontinuity_time
    ):
        return Skipped(name, "counter discontinuity (ifCounterDiscontinuityTime changed)")
    if current.counter_bits != previous.counter_bits:
        return Skipped(name, f"counter width changed ({previous.counter_bits} -> {current.counter_bits} bits)")
    seconds = interval_s(previous, current)
    if seconds <= 0:
        return Skipped(name, "no time elapsed between readings")
    deltas: dict[str, int] = {}
    for field in COUNTER_FIELDS:
        bits = (
            current.counter_bits
            if field.endswith(("octets", "unicast_packets", "multicast_packets", "broadcast_packets"))
            else 32
        )
        delta = _delta(getattr(previous, field), getattr(current, field), bits)
        if delta is None:
            return Skipped(name, f"{field} went backwards on a {bits}-bit counter")
        deltas[field] = delta
    in_bps, out_bps = deltas["in_octets"] * 8 / seconds, deltas["out_octets"] * 8 / seconds
    if speed_bps and max(in_bps, out_bps) > speed_bps * PLAUSIBLE_FACTOR:
        return Skipped(name, f"implausible rate {max(in_bps, out_bps):.0f} bit/s on a {speed_bps} bit/s interface")

    def per_s(*fields: str) -> float:
        return sum(deltas[f] for f in fields) / seconds

    return InterfaceRates(
        name=name,
        interval_s=seconds,
        in_bps=in_bps,
        out_bps=out_bps,
        in_pps=per_s("in_unicast_packets", "in_multicast_packets", "in_broadcast_packets"),
        out_pps=per_s("out_unicast_packets", "out_multicast_packets", "out_broadcast_packets"),
        in_errors_ps=per_s("in_errors"),
        out_errors_ps=per_s("out_errors"),
        in_discards_ps=per_s("in_discards"),
        out_discards_ps=per_s("out_discards"),
        in_utilisation=100.0 * in_bps / speed_bps if speed_bps else None,
        out_utilisation=100.0 * out_bps / speed_bps if speed_bps else None,
    )
