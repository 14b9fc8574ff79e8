"""The agent's own health as Prometheus metrics (polls, durations, failures, samples, traps).

One registry per agent, not the process-global default, so tests and several agents in one process
never share counters. The trap receiver keeps its own counts (it is an adapter, and counting there
costs nothing per trap); they are read when ``/metrics`` is scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector


@dataclass(frozen=True, slots=True)
class TrapCounts:
    """The trap receiver's and the fault pipeline's counts since start."""

    datagrams: int
    refused: Mapping[str, int]  # datagrams refused, by reason (malformed, bad_community, failed_digest...)
    dropped: Mapping[str, int]  # notifications lost, by reason (queue_full, unprocessable...)
    internal_errors: int
    informs_acknowledged: int


def _by_reason(name: str, documentation: str, counts: Mapping[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, f"{documentation}, by reason", labels=["reason"])
    for reason, value in counts.items():
        family.add_metric([reason], value)
    return family


class _TrapCollector(Collector):
    def __init__(self, source: Callable[[], TrapCounts]) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        counts = self._source()
        yield CounterMetricFamily("oss_agent_trap_datagrams", "Datagrams received on the trap port", counts.datagrams)
        yield _by_reason(
            "oss_agent_trap_datagrams_refused", "Datagrams dropped before becoming notifications", counts.refused
        )
        yield _by_reason(
            "oss_agent_trap_notifications_dropped", "Notifications received but not applied", counts.dropped
        )
        yield CounterMetricFamily(
            "oss_agent_trap_internal_errors", "Datagrams a receiving stage failed on (a bug)", counts.internal_errors
        )
        yield CounterMetricFamily(
            "oss_agent_trap_informs_acknowledged", "Informs acknowledged", counts.informs_acknowledged
        )


class AgentMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.polls = Counter("oss_agent_polls", "Device polls by result", ["result"], registry=self.registry)
        self.poll_seconds = Histogram(
            "oss_agent_poll_duration_seconds",
            "Duration of one device poll",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.unreachable = Gauge(
            "oss_agent_devices_unreachable", "Devices whose last poll failed", registry=self.registry
        )
        self.samples = Counter("oss_agent_samples_written", "Performance rows written", registry=self.registry)
        self.skipped = Counter(
            "oss_agent_samples_skipped", "Rate samples dropped, by reason", ["reason"], registry=self.registry
        )
        self.notifications = Counter(
            "oss_agent_notifications_received", "SNMP notifications received", registry=self.registry
        )
        # per device, so that one sick device shows: the duration's sum and count, and its failures
        self.device_poll_seconds = Summary(
            "oss_agent_device_poll_duration_seconds", "Duration of a device's polls", ["device"], registry=self.registry
        )
        self.device_poll_failures = Counter(
            "oss_agent_device_poll_failures", "A device's failed polls", ["device"], registry=self.registry
        )
        self._traps: _TrapCollector | None = None

    def watch_traps(self, source: Callable[[], TrapCounts]) -> None:
        """Export the trap counts ``source`` gives at each scrape (a later call replaces the source)."""
        if self._traps is not None:
            self.registry.unregister(self._traps)
        self._traps = _TrapCollector(source)
        self.registry.register(self._traps)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
