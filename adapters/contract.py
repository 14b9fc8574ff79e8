"""The driver contract every southbound driver fulfils.

A driver serves one device over one protocol. All methods are coroutines: SNMP is native asyncio,
and the blocking libraries (ncclient, netmiko, NAPALM) are run by their drivers in a bounded thread
pool, so the agent's core never blocks on a device.

:class:`BaseDriver` answers every operation with :class:`UnsupportedOperationError`; a driver overrides
what its protocol can do and lists it in ``capabilities``, so callers can choose before calling.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Protocol, runtime_checkable

from adapters.errors import UnsupportedOperationError
from adapters.models import (
    CommitResult,
    ConfigDiff,
    DeviceFacts,
    InterfaceCounters,
    InterfaceInfo,
    LldpNeighbor,
    PingResult,
    RoutingNeighbor,
    RunningConfig,
)
from adapters.models import Protocol as AccessProtocol
from adapters.target import DeviceTarget


class Capability(StrEnum):
    """Jobs a driver may be able to do; also the keys of the protocol-choice configuration."""

    FACTS = "facts"
    INTERFACES = "interfaces"
    COUNTERS = "counters"
    LLDP = "lldp"
    ROUTING = "routing"
    CONFIG_READ = "config_read"
    CONFIG_WRITE = "config_write"
    CLI = "cli"
    PING = "ping"


@runtime_checkable
class Driver(Protocol):
    """What the agent may ask of a driver."""

    protocol: ClassVar[AccessProtocol]
    capabilities: ClassVar[frozenset[Capability]]
    target: DeviceTarget

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def get_facts(self) -> DeviceFacts: ...
    async def get_interfaces(self) -> list[InterfaceInfo]: ...
    async def get_interface_counters(self) -> list[InterfaceCounters]: ...
    async def get_lldp_neighbors(self) -> list[LldpNeighbor]: ...
    async def get_routing_neighbors(self) -> list[RoutingNeighbor]: ...
    async def get_config(self) -> RunningConfig: ...
    async def run_command(self, command: str) -> str: ...
    async def ping(self, destination: str, *, count: int = 5) -> PingResult: ...
    async def load_candidate(self, config: str, *, replace: bool = False) -> ConfigDiff: ...
    async def commit(self, *, message: str = "") -> CommitResult: ...
    async def discard(self) -> None: ...
    async def rollback(self) -> CommitResult: ...


class BaseDriver:
    """Default implementation: everything unsupported, open/close are no-ops."""

    protocol: ClassVar[AccessProtocol]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()

    def __init__(self, target: DeviceTarget) -> None:
        self.target = target

    def _unsupported(self, operation: str) -> UnsupportedOperationError:
        return UnsupportedOperationError(
            f"not supported by the {self.protocol} driver for platform {self.target.platform}",
            device=self.target.name,
            operation=operation,
        )

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def get_facts(self) -> DeviceFacts:
        raise self._unsupported("get_facts")

    async def get_interfaces(self) -> list[InterfaceInfo]:
        raise self._unsupported("get_interfaces")

    async def get_interface_counters(self) -> list[InterfaceCounters]:
        raise self._unsupported("get_interface_counters")

    async def get_lldp_neighbors(self) -> list[LldpNeighbor]:
        raise self._unsupported("get_lldp_neighbors")

    async def get_routing_neighbors(self) -> list[RoutingNeighbor]:
        raise self._unsupported("get_routing_neighbors")

    async def get_config(self) -> RunningConfig:
        raise self._unsupported("get_config")

    async def run_command(self, command: str) -> str:
        raise self._unsupported("run_command")

    async def ping(self, destination: str, *, count: int = 5) -> PingResult:
        raise self._unsupported("ping")

    async def load_candidate(self, config: str, *, replace: bool = False) -> ConfigDiff:
        raise self._unsupported("load_candidate")

    async def commit(self, *, message: str = "") -> CommitResult:
        raise self._unsupported("commit")

    async def discard(self) -> None:
        raise self._unsupported("discard")

    async def rollback(self) -> CommitResult:
        raise self._unsupported("rollback")
