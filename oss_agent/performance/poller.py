"""The performance poller: each device's interface counters and health, into rates, samples and
threshold alarms. One device failing or slow never delays the others: polls run concurrently under
a global bound, each with its own SNMP timeout, and results are per-device data.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from adapters import AdapterError, DeviceTarget, DeviceTimeoutError, InterfaceCounters
from adapters.snmp import SnmpDriver, SnmpManager
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.commands import ClearAlarm, RaiseAlarm
from oss_agent.metrics import AgentMetrics
from oss_agent.performance import rates
from oss_agent.performance.store import DeviceSample, PerfStore
from oss_agent.performance.thresholds import Crossing, ThresholdTracker
from oss_agent.service_layer.messagebus import MessageBus

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    device: str
    ok: bool
    duration_s: float
    interfaces: int = 0
    samples: int = 0
    skipped: list[str] = field(default_factory=list)
    interface_rates: list[rates.InterfaceRates] = field(default_factory=list)
    error: str | None = None


class Poller:
    """Polls devices over SNMP and buffers their samples until :meth:`flush`."""

    def __init__(
        self,
        targets: dict[str, DeviceTarget],
        store: PerfStore,
        *,
        manager: SnmpManager | None = None,
        bus: MessageBus | None = None,
        thresholds: ThresholdTracker | None = None,
        metrics: AgentMetrics | None = None,
        max_concurrent: int = 64,
        poll_timeout_s: float = 10.0,
    ) -> None:
        self.targets = targets
        self.store = store
        self.manager = manager or SnmpManager()
        self.bus = bus
        self.thresholds = thresholds or ThresholdTracker()
        self.metrics = metrics or AgentMetrics()
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self.poll_timeout_s = poll_timeout_s
        self._previous: dict[tuple[str, str], InterfaceCounters] = {}
        self._interface_samples: list[tuple[str, float, rates.InterfaceRates]] = []
        self._device_samples: list[DeviceSample] = []
        self._unreachable: set[str] = set()

    async def poll(self, name: str) -> PollResult:
        """Poll one device; failures are returned, never raised."""
        async with self._semaphore:
            started = time.perf_counter()
            now = time.time()
            driver = SnmpDriver(self.targets[name], self.manager)
            try:
                # A device that answers every request late must not hold its slot for minutes.
                async with asyncio.timeout(self.poll_timeout_s):
                    infos, counters, response_ms = await driver.poll_interfaces()
                    health = await driver.get_health()
            except (AdapterError, TimeoutError) as exc:
                if isinstance(exc, TimeoutError):
                    exc = DeviceTimeoutError(
                        f"poll not finished within {self.poll_timeout_s:g} s", device=name, operation="poll"
                    )
                duration = time.perf_counter() - started
                self._device_samples.append(DeviceSample(name, now, False))
                self._unreachable.add(name)
                self.metrics.polls.labels("failed").inc()
                self.metrics.poll_seconds.observe(duration)
                self.metrics.unreachable.set(len(self._unreachable))
                return PollResult(name, False, duration, error=str(exc))
            self._unreachable.discard(name)
            self.metrics.unreachable.set(len(self._unreachable))
            self._device_samples.append(DeviceSample(name, now, True, response_ms, health.cpu_pct, health.mem_used_pct))
            speeds = {info.name: info.speed_bps for info in infos}
            result = PollResult(name, True, 0.0, interfaces=len(counters))
            crossings: list[Crossing] = []
            for current in counters:
                key = (name, current.name)
                previous = self._previous.get(key)
                self._previous[key] = current
                if previous is None:
                    continue
                computed = rates.compute(previous, current, speeds.get(current.name))
                if isinstance(computed, rates.Skipped):
                    result.skipped.append(f"{current.name}: {computed.reason}")
                    self.metrics.skipped.labels(computed.reason.split(" (")[0]).inc()
                    continue
                self._interface_samples.append((name, now, computed))
                result.interface_rates.append(computed)
                result.samples += 1
                crossings += self.thresholds.evaluate(
                    name,
                    current.name,
                    {
                        "in_util": computed.in_utilisation,
                        "out_util": computed.out_utilisation,
                        "in_errors_ps": computed.in_errors_ps,
                        "out_errors_ps": computed.out_errors_ps,
                    },
                )
            result.duration_s = time.perf_counter() - started
            self.metrics.polls.labels("ok").inc()
            self.metrics.poll_seconds.observe(result.duration_s)
        await self._alarm(crossings)
        return result

    async def poll_all(self, names: list[str] | None = None) -> list[PollResult]:
        return list(await asyncio.gather(*(self.poll(n) for n in (names or list(self.targets)))))

    async def _alarm(self, crossings: list[Crossing]) -> None:
        if self.bus is None:
            return
        at = datetime.now(UTC)
        for crossing in crossings:
            if crossing.raised:
                spec = AlarmSpec(
                    crossing.reduction_key,
                    f"{crossing.device}:{crossing.interface}",
                    AlarmType.QUALITY_OF_SERVICE,
                    "thresholdCrossed",
                    Severity(crossing.rule.severity),
                    f"{crossing.rule.metric} {crossing.value:.2f} above {crossing.rule.raise_above:g}",
                    (crossing.device, f"{crossing.device}:{crossing.interface}"),
                )
                await self.bus.handle(RaiseAlarm(spec, at))
            else:
                await self.bus.handle(ClearAlarm(crossing.reduction_key, at))

    async def flush(self) -> int:
        """Write every buffered sample in one batch, off the event loop."""
        interface_samples, self._interface_samples = self._interface_samples, []
        device_samples, self._device_samples = self._device_samples, []
        if not interface_samples and not device_samples:
            return 0
        written = await asyncio.to_thread(self.store.write, interface_samples, device_samples)
        self.metrics.samples.inc(written)
        return written
