"""The agent's own health as Prometheus metrics (polls, durations, failures, samples, traps).

One registry per agent, not the process-global default, so tests and several agents in one process
never share counters.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


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

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
