"""An in-memory driver that honours the whole contract, for tests of the layers above.

It keeps a running configuration, a candidate and a commit history, so provisioning flows
(load, diff, commit, rollback) behave as on a device; ``fail_with`` makes the next calls raise a
chosen :class:`AdapterError` so error paths can be tested without a network.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from adapters.contract import BaseDriver, Capability
from adapters.errors import AdapterError, ConfigurationRejectedError
from adapters.models import (
    CommitResult,
    ConfigDiff,
    DeviceFacts,
    InterfaceCounters,
    InterfaceInfo,
    LldpNeighbor,
    OperStatus,
    PingResult,
    Protocol,
    RoutingNeighbor,
    RunningConfig,
)
from adapters.registry import ANY_PLATFORM, DriverRegistry
from adapters.target import DeviceTarget


@dataclass
class FakeDeviceState:
    """What a fake device holds; shared by every driver created for the same device name."""

    facts: DeviceFacts
    interfaces: list[InterfaceInfo] = field(default_factory=list)
    counters: list[InterfaceCounters] = field(default_factory=list)
    lldp: list[LldpNeighbor] = field(default_factory=list)
    routing: list[RoutingNeighbor] = field(default_factory=list)
    running: str = ""
    history: list[str] = field(default_factory=list)
    rejected_marker: str = "% Invalid"
    fail_with: AdapterError | None = None
    calls: list[str] = field(default_factory=list)
    # destination -> round trip in ms a ping from this device measures; an absent destination never answers
    rtt_ms: dict[str, float] = field(default_factory=dict)


def _diff(old: str, new: str) -> ConfigDiff:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), "running", "candidate")
    return ConfigDiff("".join(lines))


class FakeDriver(BaseDriver):
    """Contract-complete driver over :class:`FakeDeviceState`."""

    protocol: ClassVar[Protocol] = Protocol.FAKE
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability)

    def __init__(self, target: DeviceTarget, state: FakeDeviceState) -> None:
        super().__init__(target)
        self.state = state
        self._candidate: str | None = None

    def _call(self, name: str) -> None:
        self.state.calls.append(name)
        if self.state.fail_with is not None:
            raise self.state.fail_with

    async def get_facts(self) -> DeviceFacts:
        self._call("get_facts")
        return self.state.facts

    async def get_interfaces(self) -> list[InterfaceInfo]:
        self._call("get_interfaces")
        return list(self.state.interfaces)

    async def get_interface_counters(self) -> list[InterfaceCounters]:
        self._call("get_interface_counters")
        return list(self.state.counters)

    async def get_lldp_neighbors(self) -> list[LldpNeighbor]:
        self._call("get_lldp_neighbors")
        return list(self.state.lldp)

    async def get_routing_neighbors(self) -> list[RoutingNeighbor]:
        self._call("get_routing_neighbors")
        return list(self.state.routing)

    async def get_config(self) -> RunningConfig:
        self._call("get_config")
        return RunningConfig(self.state.running)

    async def run_command(self, command: str) -> str:
        self._call("run_command")
        return f"{self.target.name}# {command}\n"

    async def ping(self, destination: str, *, count: int = 5) -> PingResult:
        self._call("ping")
        rtt = self.state.rtt_ms.get(destination)
        if rtt is None:
            return PingResult(destination, count, 0)
        return PingResult(destination, count, count, rtt, rtt, rtt)

    async def load_candidate(self, config: str, *, replace: bool = False) -> ConfigDiff:
        self._call("load_candidate")
        bad = [line for line in config.splitlines() if self.state.rejected_marker in line]
        if bad:
            raise ConfigurationRejectedError(
                "candidate refused", device_message=bad[0], device=self.target.name, operation="load"
            )
        base = "" if replace else self.state.running
        merged = config if replace else base + ("" if not base or base.endswith("\n") else "\n") + config
        self._candidate = merged
        return _diff(self.state.running, merged)

    async def commit(self, *, message: str = "") -> CommitResult:
        self._call("commit")
        if self._candidate is None:
            return CommitResult(committed=False, diff=ConfigDiff(""), message="no candidate loaded")
        diff = _diff(self.state.running, self._candidate)
        self.state.history.append(self.state.running)
        self.state.running = self._candidate
        self._candidate = None
        return CommitResult(committed=True, diff=diff, message=message, rollback_id=str(len(self.state.history)))

    async def discard(self) -> None:
        self._call("discard")
        self._candidate = None

    async def rollback(self) -> CommitResult:
        self._call("rollback")
        if not self.state.history:
            return CommitResult(committed=False, diff=ConfigDiff(""), message="nothing to roll back")
        previous = self.state.history.pop()
        diff = _diff(self.state.running, previous)
        self.state.running = previous
        return CommitResult(committed=True, diff=diff, message="rolled back")


class FakeNetwork:
    """A set of fake devices, registered into a :class:`DriverRegistry` for every platform."""

    def __init__(self) -> None:
        self.devices: dict[str, FakeDeviceState] = {}

    def add(self, name: str, *, interfaces: int = 2, running: str = "") -> FakeDeviceState:
        now = datetime.now(UTC)
        state = FakeDeviceState(
            facts=DeviceFacts(name, "Fake", "fake-1", "1.0", f"SN-{name}", 100.0),
            interfaces=[
                InterfaceInfo(name=f"eth{i}", index=i + 1, oper_status=OperStatus.UP, speed_bps=10**9)
                for i in range(interfaces)
            ],
            counters=[
                InterfaceCounters(name=f"eth{i}", counter_bits=64, device_uptime_s=100.0, read_at=now)
                for i in range(interfaces)
            ],
            running=running,
        )
        self.devices[name] = state
        return state

    def driver(self, target: DeviceTarget) -> FakeDriver:
        if target.name not in self.devices:
            self.add(target.name)
        return FakeDriver(target, self.devices[target.name])

    def register(self, registry: DriverRegistry) -> None:
        registry.register(ANY_PLATFORM, Protocol.FAKE, self.driver, FakeDriver.capabilities)
