"""Running the latency probes: each source device pings its targets through its CLI, concurrently.

One driver per source device is kept open between runs (its SSH session is reused); a probe whose
source cannot be reached makes no sample and is logged once when it starts failing and once when it
recovers, so an outage does not flood the log. Targets that name a device are resolved at every run
from what discovery stored, so a re-addressed loopback is followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select

from adapters import AdapterError, Capability, DeviceTarget, Driver, DriverRegistry
from oss_agent.config.settings import LatencyProbeSettings
from oss_agent.errors import ConfigError, ConfigProblem
from oss_agent.performance.latency import LatencySample, LatencyStore
from oss_agent.storage.orm import DeviceRow, InterfaceAddressRow

logger = logging.getLogger(__name__)
LOOPBACK_NAMES = frozenset({"lo", "lo0", "loopback", "loopback0"})
MAX_CONCURRENT_PROBES = 8


@dataclass(frozen=True, slots=True)
class ProbeRun:
    probe: str
    sample: LatencySample | None
    error: str | None = None


def resolve_target(engine: Engine, target: str) -> str:
    """An address as given; a device's discovered loopback address (not 127/8), else its management host;
    anything else as given (a name the source device may resolve)."""
    try:
        return str(ipaddress.ip_address(target))
    except ValueError:
        pass
    with engine.connect() as connection:
        rows = connection.execute(
            select(InterfaceAddressRow.interface, InterfaceAddressRow.address, DeviceRow.host)
            .join(DeviceRow, DeviceRow.id == InterfaceAddressRow.device_id)
            .where(DeviceRow.name == target)
            .order_by(InterfaceAddressRow.interface, InterfaceAddressRow.address)
        ).all()
        host = rows[0][2] if rows else connection.scalar(select(DeviceRow.host).where(DeviceRow.name == target))
    for interface, address, _ in rows:
        if interface.lower() in LOOPBACK_NAMES:
            ip = ipaddress.ip_interface(address).ip
            if not ip.is_loopback:
                return str(ip)
    return str(host) if host else target


def check_probes(probes: Sequence[LatencyProbeSettings], targets: Mapping[str, DeviceTarget]) -> None:
    """Every probe's source must be a device of the inventory with SSH access (the CLI runs the ping)."""
    problems = []
    for index, probe in enumerate(probes):
        target = targets.get(probe.source)
        if target is None:
            problems.append(
                ConfigProblem(
                    "settings", f"latency_probes[{index}].source", f"no device {probe.source!r} in the inventory"
                )
            )
        elif target.ssh is None:
            problems.append(
                ConfigProblem(
                    "settings",
                    f"latency_probes[{index}].source",
                    f"device {probe.source!r} has no SSH access to ping from",
                )
            )
    if problems:
        raise ConfigError(problems)


class LatencyProber:
    def __init__(
        self,
        probes: Sequence[LatencyProbeSettings],
        targets: Mapping[str, DeviceTarget],
        registry: DriverRegistry,
        store: LatencyStore,
    ) -> None:
        check_probes(probes, targets)
        self.probes = tuple(probes)
        self.targets = targets
        self.registry = registry
        self.store = store
        self._drivers: dict[str, Driver] = {}
        self._failing: set[str] = set()
        self._bound = asyncio.Semaphore(MAX_CONCURRENT_PROBES)

    def _driver(self, source: str) -> Driver:
        if source not in self._drivers:
            self._drivers[source] = self.registry.for_job(self.targets[source], Capability.PING)
        return self._drivers[source]

    async def _run(self, probe: LatencyProbeSettings) -> ProbeRun:
        async with self._bound:
            try:
                address = await asyncio.to_thread(resolve_target, self.store.engine, probe.target)
                result = await self._driver(probe.source).ping(address, count=probe.count)
            except AdapterError as exc:
                if probe.label not in self._failing:
                    logger.warning("latency probe %s: %s", probe.label, exc)
                self._failing.add(probe.label)
                return ProbeRun(probe.label, None, str(exc))
        if probe.label in self._failing:
            logger.info("latency probe %s: measuring again", probe.label)
            self._failing.discard(probe.label)
        sample = LatencySample(
            probe.label,
            probe.source,
            probe.target,
            address,
            time.time(),
            result.sent,
            result.received,
            result.rtt_min_ms,
            result.rtt_avg_ms,
            result.rtt_max_ms,
        )
        return ProbeRun(probe.label, sample)

    async def run(self) -> list[ProbeRun]:
        """Every probe once; the samples are stored in one batch."""
        runs = await asyncio.gather(*(self._run(p) for p in self.probes))
        samples = [r.sample for r in runs if r.sample is not None]
        await asyncio.to_thread(self.store.write, samples)
        return list(runs)

    async def close(self) -> None:
        for driver in self._drivers.values():
            try:
                await driver.close()
            except AdapterError as exc:
                logger.debug("closing %s: %s", driver.target.name, exc)
        self._drivers.clear()
