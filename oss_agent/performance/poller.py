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

from adapters import AdapterError, DeviceTarget, DeviceTimeoutError, InterfaceCounters, InterfaceInfo, OperStatus
from adapters.snmp import SnmpDriver, SnmpManager
from oss_agent.discovery.collect import interface_state
from oss_agent.domain.commands import ProcessFaultSignals, RecordPolledInterfaces
from oss_agent.domain.fault import FaultSignal
from oss_agent.fault import signals
from oss_agent.fault.pipeline import InterfaceNames
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
        names: InterfaceNames | None = None,
        counter_cache_s: float = rates.COUNTER_CACHE_S,
    ) -> None:
        self.targets = targets
        self.store = store
        self.manager = manager or SnmpManager()
        self.bus = bus
        self.thresholds = thresholds or ThresholdTracker()
        self.metrics = metrics or AgentMetrics()
        self._semaphore = asyncio.Semaphore(max_concurrent)
        self.poll_timeout_s = poll_timeout_s
        self.counter_cache_s = counter_cache_s
        self._previous: dict[tuple[str, str], InterfaceCounters] = {}
        self._interface_samples: list[tuple[str, float, rates.InterfaceRates]] = []
        self._device_samples: list[DeviceSample] = []
        self.names = names
        # what the last poll saw, so a fault is signalled when it appears or goes, not on every poll
        self._reachable: dict[str, bool] = {}
        self._links_down: dict[str, set[str]] = {}
        self._open_at_start: set[tuple[str, str]] = set()
        self._adjacencies: dict[str, set[tuple[str, str]]] = {}
        self._adjacencies_down: dict[str, set[tuple[str, str]]] = {}
        self._interface_states: dict[str, tuple[tuple[str, bool, str], ...]] = {}

    def remember_open_alarms(self, keys: set[str]) -> None:
        """Alarms open in the database when the agent starts (a killed agent may have left them open
        while what they tell of ended): the first poll clears the link alarms it no longer sees,
        without a clear per healthy interface; the first routing check clears the adjacencies that
        are back (each remembered as seen and down, so an OSPF neighbour still gone from the table
        still counts as down)."""
        for key in keys:
            if key.endswith("|linkDown") and ":" in key:
                device, interface = key.removesuffix("|linkDown").split(":", 1)
                self._open_at_start.add((device, interface))
                continue
            device, _, rest = key.partition("|")
            protocol, _, neighbour = rest.partition("|")
            if protocol in ("bgp", "ospf") and neighbour and key == signals.routing_key(device, protocol, neighbour):
                self._adjacencies.setdefault(device, set()).add((protocol, neighbour))
                self._adjacencies_down.setdefault(device, set()).add((protocol, neighbour))

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
                self.metrics.polls.labels("failed").inc()
                self.metrics.poll_seconds.observe(duration)
                self.metrics.device_poll_seconds.labels(name).observe(duration)
                self.metrics.device_poll_failures.labels(name).inc()
                found = self._reachability(name, False, str(exc))
                self.metrics.unreachable.set(sum(not ok for ok in self._reachable.values()))
                await self._signal(found)
                return PollResult(name, False, duration, error=str(exc))
            self._device_samples.append(DeviceSample(name, now, True, response_ms, health.cpu_pct, health.mem_used_pct))
            speeds = {info.name: info.speed_bps for info in infos}
            if self.names is not None:
                for info in infos:
                    if info.index is not None:
                        self.names.learn(name, info.index, info.name)
            fault_signals = self._reachability(name, True, "") + self._link_states(name, infos)
            self.metrics.unreachable.set(sum(not ok for ok in self._reachable.values()))
            result = PollResult(name, True, 0.0, interfaces=len(counters))
            crossings: list[Crossing] = []
            bases = [b for b in (self._previous.get((name, c.name)) for c in counters) if b is not None]
            if not rates.refreshed(bases, counters, self.counter_cache_s):
                # the agent answered from its counter cache: the older reading stays the base
                result.skipped.append(rates.NOT_REFRESHED)
                self.metrics.skipped.labels(rates.NOT_REFRESHED).inc()
                counters = []
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
            self.metrics.device_poll_seconds.labels(name).observe(result.duration_s)
            self.metrics.device_poll_failures.labels(name)  # present at 0 for a healthy device
        at = datetime.now(UTC)
        await self._signal(fault_signals + [crossing.signal(at) for crossing in crossings])
        await self._record_interfaces(name, infos, at)
        return result

    async def _record_interfaces(self, name: str, infos: list[InterfaceInfo], at: datetime) -> None:
        """The inventory's interface state follows the polls: sent on the first poll and whenever the
        admin/oper states seen differ from the last ones sent, so a steady network costs no write."""
        seen = tuple(sorted((i.name, i.admin_up, i.oper_status.value) for i in infos))
        if self.bus is None or self._interface_states.get(name) == seen:
            return
        await self.bus.handle(RecordPolledInterfaces(name, at, tuple(interface_state(i) for i in infos)))
        self._interface_states[name] = seen

    def _reachability(self, name: str, reachable: bool, reason: str) -> list[FaultSignal]:
        previous = self._reachable.get(name)
        self._reachable[name] = reachable
        if previous is reachable:
            return []
        at = datetime.now(UTC)
        key = signals.unreachable_key(name)
        if reachable:  # also on the first poll: clears an alarm left open by an earlier run
            return [FaultSignal(name, "reachable", key, False, "poll", at)]
        return [FaultSignal(name, "unreachable", key, True, "poll", at, signals.unreachable_spec(name, reason), False)]

    def _link_states(self, name: str, infos: list[InterfaceInfo]) -> list[FaultSignal]:
        """Interfaces operationally down while administratively up, as they appear and disappear."""
        down = {i.name for i in infos if i.admin_up and i.oper_status is not OperStatus.UP}
        first = name not in self._links_down
        previous = self._links_down.get(name, set())
        self._links_down[name] = down
        at = datetime.now(UTC)
        out = [
            FaultSignal(
                name,
                "operDown",
                signals.link_key(name, i),
                True,
                "poll",
                at,
                signals.link_down_spec(name, i, "seen by polling"),
                False,
            )
            for i in sorted(down - previous)
        ]
        gone = ({i.name for i in infos} - down) if first else (previous - down)
        if first:  # after a restart, clear only what an earlier run could have left open: cheap no-ops otherwise
            gone = {i for i in gone if (name, i) in self._open_at_start}
        out += [FaultSignal(name, "operUp", signals.link_key(name, i), False, "poll", at) for i in sorted(gone)]
        return out

    async def _signal(self, found: list[FaultSignal]) -> None:
        if found and self.bus is not None:
            await self.bus.handle(ProcessFaultSignals(tuple(found)))

    async def check_routing(self, name: str) -> list[FaultSignal]:
        """BGP peers that are not Established, and OSPF neighbours that vanished or are not Full.

        Signals only changes; OSPF neighbours leave the table when they die, so a neighbour seen
        before and missing now counts as down."""
        driver = SnmpDriver(self.targets[name], self.manager)
        try:
            async with asyncio.timeout(self.poll_timeout_s):
                neighbours = await driver.get_routing_neighbors()
        except (AdapterError, TimeoutError):
            return []  # an unreachable device is the poll's alarm, not one per adjacency
        at = datetime.now(UTC)
        up = {(n.protocol, n.neighbor) for n in neighbours if n.is_up}
        known = self._adjacencies.setdefault(name, set())
        down_now = {(n.protocol, n.neighbor) for n in neighbours if not n.is_up} | {
            k for k in known if k[0] == "ospf" and k not in up
        }
        previous = self._adjacencies_down.get(name, set())
        self._adjacencies_down[name] = down_now
        known |= up
        found = [
            FaultSignal(
                name,
                f"{p}NeighborDown",
                signals.routing_key(name, p, n),
                True,
                "poll",
                at,
                signals.routing_spec(name, p, n, "seen by polling"),
                False,
            )
            for p, n in sorted(down_now - previous)
        ]
        found += [
            FaultSignal(name, f"{p}NeighborUp", signals.routing_key(name, p, n), False, "poll", at)
            for p, n in sorted(previous - down_now)
        ]
        await self._signal(found)
        return found

    async def poll_all(self, names: list[str] | None = None) -> list[PollResult]:
        return list(await asyncio.gather(*(self.poll(n) for n in (names or list(self.targets)))))

    async def flush(self) -> int:
        """Write every buffered sample in one batch, off the event loop."""
        interface_samples, self._interface_samples = self._interface_samples, []
        device_samples, self._device_samples = self._device_samples, []
        if not interface_samples and not device_samples:
            return 0
        written = await asyncio.to_thread(self.store.write, interface_samples, device_samples)
        self.metrics.samples.inc(written)
        return written
