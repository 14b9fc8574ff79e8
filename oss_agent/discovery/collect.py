"""Collect everything discovery wants from one device, over whichever drivers the registry picks.

Jobs are grouped by the protocol chosen for them, so one driver (one SSH or SNMP session) serves all
its jobs; protocols run side by side. A job that fails is data in the result, never an exception:
the caller decides whether the device failed (nothing answered) or only partly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from adapters import (
    AdapterError,
    AuthenticationError,
    Capability,
    DeviceFacts,
    DeviceTarget,
    DeviceTimeoutError,
    DeviceUnreachableError,
    Driver,
    DriverNotFoundError,
    DriverRegistry,
    InterfaceInfo,
    LldpNeighbor,
    Protocol,
    RoutingNeighbor,
    RunningConfig,
    UnsupportedOperationError,
)
from oss_agent.domain.discovery import NETCONF, RUNNING, AddressState, ConfigText, FactsState, NeighborState
from oss_agent.domain.model import InterfaceState

JOBS: tuple[Capability, ...] = (
    Capability.FACTS,
    Capability.INTERFACES,
    Capability.LLDP,
    Capability.ROUTING,
    Capability.CONFIG_READ,
)

_CALLS: dict[Capability, Callable[[Driver], Awaitable[Any]]] = {
    Capability.FACTS: lambda d: d.get_facts(),
    Capability.INTERFACES: lambda d: d.get_interfaces(),
    Capability.LLDP: lambda d: d.get_lldp_neighbors(),
    Capability.ROUTING: lambda d: d.get_routing_neighbors(),
    Capability.CONFIG_READ: lambda d: d.get_config(),
}

# After one of these, the session is dead: the protocol's remaining jobs fail at once instead of
# each waiting for its own timeout on a device that is off.
_DEAD = (DeviceUnreachableError, DeviceTimeoutError, AuthenticationError, TimeoutError)


@dataclass
class Collection:
    """What one device answered; ``None`` marks a part that was not collected."""

    target: DeviceTarget
    facts: DeviceFacts | None = None
    interfaces: list[InterfaceInfo] | None = None
    lldp: list[LldpNeighbor] | None = None
    routing: list[RoutingNeighbor] | None = None
    config: RunningConfig | None = None
    datastores: dict[str, RunningConfig] = field(default_factory=dict)
    extra_routing: list[RoutingNeighbor] = field(default_factory=list)
    extra_interfaces: list[InterfaceInfo] = field(default_factory=list)
    protocols: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """``ok``, ``partial`` (some job failed) or ``failed`` (every attempted job failed)."""
        if not self.errors:
            return "ok" if self.protocols else "failed"
        return "partial" if len(self.errors) < len(self.protocols) else "failed"

    def facts_state(self) -> FactsState | None:
        f = self.facts
        return None if f is None else FactsState(f.vendor, f.model, f.os_version, f.serial)

    def interface_states(self) -> tuple[InterfaceState, ...] | None:
        """The preferred driver's interfaces; a description it lacks comes from another open session.

        FRR's descriptions never reach SNMP's ifAlias, but the device's own CLI (NAPALM) knows them."""
        if self.interfaces is None:
            return None
        described = {i.name: i.description for i in self.extra_interfaces if i.description}
        return tuple(interface_state(i, i.description or described.get(i.name, "")) for i in self.interfaces)

    def address_states(self) -> tuple[AddressState, ...] | None:
        if self.interfaces is None:
            return None
        return tuple(
            sorted(
                {AddressState(i.name, str(a.address)) for i in self.interfaces for a in i.addresses},
                key=lambda a: (a.interface, a.address),
            )
        )

    def lldp_states(self) -> tuple[NeighborState, ...] | None:
        if self.lldp is None:
            return None
        return tuple(
            NeighborState(
                "lldp", n.remote_system_name, n.local_interface, n.remote_port, n.remote_management_address, "up", True
            )
            for n in self.lldp
        )

    def config_texts(self) -> tuple[ConfigText, ...]:
        """Every configuration read: the native running one (``config_read``) and other datastores."""
        found = [] if self.config is None else [ConfigText(RUNNING, self.config.text, self.protocols["config_read"])]
        found += [ConfigText(name, config.text, name) for name, config in sorted(self.datastores.items())]
        return tuple(found)

    def routing_states(self) -> tuple[NeighborState, ...] | None:
        """The preferred driver's adjacencies, completed by other open sessions' (NAPALM knows BGP, not OSPF)."""
        if self.routing is None:
            return None
        merged: dict[tuple[str, str], RoutingNeighbor] = {}
        for r in [*self.routing, *self.extra_routing]:
            merged.setdefault((r.protocol, r.neighbor), r)
        return tuple(
            NeighborState(r.protocol, r.neighbor, r.interface, "", r.neighbor, r.state, r.is_up)
            for r in merged.values()
        )


def interface_state(info: InterfaceInfo, description: str | None = None) -> InterfaceState:
    """A driver's interface reading as the domain's value (``description`` overrides the reading's)."""
    return InterfaceState(
        info.name,
        info.index,
        info.description if description is None else description,
        info.if_type,
        info.speed_bps,
        info.mtu,
        info.mac,
        info.admin_up,
        info.oper_status.value,
    )


async def collect(registry: DriverRegistry, target: DeviceTarget, timeout_s: float) -> Collection:
    """Run every discovery job on ``target``; each call is bounded by ``timeout_s``."""
    result = Collection(target)
    plan: dict[Protocol, list[Capability]] = {}
    for job in JOBS:
        try:
            protocol = registry.protocol_for(target, job)
        except DriverNotFoundError as exc:
            result.skipped[job.value] = exc.detail
            continue
        plan.setdefault(protocol, []).append(job)
        result.protocols[job.value] = protocol.value
    await asyncio.gather(
        *(_run_protocol(registry, target, p, jobs, timeout_s, result) for p, jobs in plan.items()),
        _read_netconf_datastore(registry, target, plan, timeout_s, result),
    )
    return result


async def _read_netconf_datastore(
    registry: DriverRegistry,
    target: DeviceTarget,
    plan: dict[Protocol, list[Capability]],
    timeout_s: float,
    result: Collection,
) -> None:
    """NETCONF's running datastore is a configuration of its own (changes made over NETCONF are
    invisible to the CLI): back it up too when the device offers NETCONF and it is not already the
    protocol that read the native configuration."""
    if Protocol.NETCONF not in target.protocols() or Capability.CONFIG_READ in plan.get(Protocol.NETCONF, []):
        return
    job = f"{Capability.CONFIG_READ.value}:{NETCONF}"
    try:
        driver = registry.create(target, Protocol.NETCONF)
    except DriverNotFoundError:
        return
    if Capability.CONFIG_READ not in driver.capabilities:
        return
    result.protocols[job] = Protocol.NETCONF.value
    try:
        await asyncio.wait_for(driver.open(), timeout_s)
        result.datastores[NETCONF] = await asyncio.wait_for(driver.get_config(), timeout_s)
    except (AdapterError, TimeoutError) as exc:
        result.errors[job] = _message(exc, timeout_s)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(driver.close(), timeout_s)


async def _run_protocol(
    registry: DriverRegistry,
    target: DeviceTarget,
    protocol: Protocol,
    jobs: list[Capability],
    timeout_s: float,
    result: Collection,
) -> None:
    dead: str | None = None
    try:
        driver = registry.create(target, protocol)
        await asyncio.wait_for(driver.open(), timeout_s)
    except (AdapterError, TimeoutError) as exc:
        for job in jobs:
            result.errors[job.value] = _message(exc, timeout_s)
        return
    try:
        for job in jobs:
            if dead is not None:
                result.errors[job.value] = dead
                continue
            try:
                value = await asyncio.wait_for(_CALLS[job](driver), timeout_s)
            except UnsupportedOperationError as exc:
                result.skipped[job.value] = exc.detail
                del result.protocols[job.value]
                continue
            except (AdapterError, TimeoutError) as exc:
                result.errors[job.value] = _message(exc, timeout_s)
                if isinstance(exc, _DEAD):
                    dead = result.errors[job.value]
                continue
            _store(result, job, value)
        if dead is None:
            await _complete(driver, jobs, timeout_s, result)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(driver.close(), timeout_s)


async def _complete(driver: Driver, jobs: list[Capability], timeout_s: float, result: Collection) -> None:
    """The session is open anyway: its view of the adjacencies and of the interface descriptions
    completes the preferred drivers' (NAPALM knows BGP, not OSPF; SNMP's ifAlias lacks FRR's descriptions)."""
    if Capability.ROUTING not in jobs and Capability.ROUTING in driver.capabilities:
        with contextlib.suppress(AdapterError, TimeoutError):
            result.extra_routing.extend(await asyncio.wait_for(driver.get_routing_neighbors(), timeout_s))
    if Capability.INTERFACES not in jobs and Capability.INTERFACES in driver.capabilities:
        with contextlib.suppress(AdapterError, TimeoutError):
            result.extra_interfaces.extend(await asyncio.wait_for(driver.get_interfaces(), timeout_s))


def _store(result: Collection, job: Capability, value: Any) -> None:
    if job is Capability.FACTS:
        result.facts = value
    elif job is Capability.INTERFACES:
        result.interfaces = list(value)
    elif job is Capability.LLDP:
        result.lldp = list(value)
    elif job is Capability.ROUTING:
        result.routing = list(value)
    else:
        result.config = value


def _message(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, TimeoutError) and not isinstance(exc, AdapterError):
        return f"no answer within {timeout_s:g} s"
    return f"{type(exc).__name__}: {exc}"
