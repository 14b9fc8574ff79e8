"""Devices, their interfaces, and the links between them.

A :class:`Device` is the aggregate: interface changes go through it so that every change is
recorded as an event (an interface appeared, went down, changed speed) for the inventory history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oss_agent.domain.alarm import AlarmSpec
from oss_agent.domain.events import (
    DeviceReachabilityChanged,
    DeviceUpdated,
    Event,
    InterfaceAdminStateChanged,
    InterfaceAppeared,
    InterfaceAttributesChanged,
    InterfaceRemoved,
    InterfaceSpeedChanged,
    InterfaceStatusChanged,
)
from oss_agent.domain.service_order import ServiceOrderItemSpec

__all__ = [
    "AlarmSpec",
    "Device",
    "DeviceSpec",
    "Interface",
    "InterfaceState",
    "Link",
    "LinkEnd",
    "ServiceOrderItemSpec",
]


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A device as the inventory declares it."""

    name: str
    host: str
    platform: str
    site: str = ""
    role: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InterfaceState:
    """An interface as last observed on the device."""

    name: str
    index: int | None = None
    description: str = ""
    if_type: str = ""
    speed_bps: int | None = None
    mtu: int | None = None
    mac: str | None = None
    admin_up: bool = True
    oper_status: str = "unknown"


@dataclass
class Interface:
    """A stored interface of a device."""

    name: str
    index: int | None = None
    description: str = ""
    if_type: str = ""
    speed_bps: int | None = None
    mtu: int | None = None
    mac: str | None = None
    admin_up: bool = True
    oper_status: str = "unknown"
    last_change: datetime | None = None

    def state(self) -> InterfaceState:
        return InterfaceState(
            self.name,
            self.index,
            self.description,
            self.if_type,
            self.speed_bps,
            self.mtu,
            self.mac,
            self.admin_up,
            self.oper_status,
        )


@dataclass
class Device:
    """A managed network element and its interfaces."""

    name: str
    host: str
    platform: str
    site: str = ""
    role: str = ""
    tags: list[str] = field(default_factory=list)
    vendor: str = ""
    model: str = ""
    os_version: str = ""
    serial: str = ""
    interfaces: dict[str, Interface] = field(default_factory=dict)
    reachable: bool | None = None  # as last observed by a poll, a trap or discovery; None: never observed
    state_changed_at: datetime | None = None
    events: list[Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def from_spec(cls, spec: DeviceSpec) -> Device:
        return cls(spec.name, spec.host, spec.platform, spec.site, spec.role, list(spec.tags))

    def apply_spec(self, spec: DeviceSpec) -> None:
        """Take the inventory's view of this device; records what changed, if anything."""
        wanted: dict[str, Any] = {
            "host": spec.host,
            "platform": spec.platform,
            "site": spec.site,
            "role": spec.role,
            "tags": list(spec.tags),
        }
        changed = tuple(name for name, value in wanted.items() if getattr(self, name) != value)
        for name in changed:
            setattr(self, name, wanted[name])
        if changed:
            self.events.append(DeviceUpdated(self.name, changed))

    def update_interfaces(self, observed: list[InterfaceState], at: datetime) -> None:
        """Replace the interface set with what the device reported, recording each change."""
        seen = {state.name: state for state in observed}
        for name in sorted(set(self.interfaces) - set(seen)):
            del self.interfaces[name]
            self.events.append(InterfaceRemoved(self.name, name))
        for state in seen.values():
            if not self._add_interface(state, at):
                self._update_interface(state, at)

    def observe_interfaces(self, observed: list[InterfaceState], at: datetime) -> None:
        """A poll's view: the state of known interfaces, and interfaces appearing between discoveries.

        Attributes stay discovery's (a poll reads SNMP only, which may lack what discovery completed,
        such as FRR's descriptions); an interface missing from a poll is left to discovery to remove."""
        for state in observed:
            if not self._add_interface(state, at):
                self.observe_interface(state.name, state.oper_status, state.admin_up, at)

    def observe_interface(self, name: str, oper_status: str, admin_up: bool | None, at: datetime) -> bool:
        """A trap or a poll saw this state; False when the device has no such interface."""
        current = self.interfaces.get(name)
        if current is None:
            return False
        if current.oper_status != oper_status:
            self.events.append(InterfaceStatusChanged(self.name, name, current.oper_status, oper_status))
            current.oper_status, current.last_change = oper_status, at
        if admin_up is not None and current.admin_up != admin_up:
            self.events.append(InterfaceAdminStateChanged(self.name, name, admin_up))
            current.admin_up = admin_up
        return True

    def observe_reachability(self, reachable: bool, at: datetime) -> None:
        """The device answered (or did not); recorded when it differs from what was last observed."""
        if self.reachable is reachable:
            return
        self.events.append(DeviceReachabilityChanged(self.name, self.reachable, reachable))
        self.reachable, self.state_changed_at = reachable, at

    def _add_interface(self, state: InterfaceState, at: datetime) -> bool:
        if state.name in self.interfaces:
            return False
        self.interfaces[state.name] = Interface(
            state.name,
            state.index,
            state.description,
            state.if_type,
            state.speed_bps,
            state.mtu,
            state.mac,
            state.admin_up,
            state.oper_status,
            at,
        )
        self.events.append(InterfaceAppeared(self.name, state.name))
        return True

    def _update_interface(self, state: InterfaceState, at: datetime) -> None:
        current = self.interfaces[state.name]
        self.observe_interface(state.name, state.oper_status, state.admin_up, at)
        if current.speed_bps != state.speed_bps:
            self.events.append(InterfaceSpeedChanged(self.name, state.name, current.speed_bps, state.speed_bps))
            current.speed_bps = state.speed_bps
        changed = tuple(f for f in _ATTRIBUTES if getattr(current, f) != getattr(state, f))
        for name in changed:
            setattr(current, name, getattr(state, name))
        if changed:
            self.events.append(InterfaceAttributesChanged(self.name, state.name, changed))


_ATTRIBUTES = ("description", "if_type", "mtu", "mac", "index")


@dataclass(frozen=True, slots=True, order=True)
class LinkEnd:
    device: str
    interface: str

    def __str__(self) -> str:
        return f"{self.device}:{self.interface}"


@dataclass(frozen=True, slots=True)
class Link:
    """A physical or logical link between two interfaces; the same link seen from either end is equal."""

    a: LinkEnd
    b: LinkEnd
    source: str = "lldp"

    @classmethod
    def between(cls, one: LinkEnd, other: LinkEnd, source: str = "lldp") -> Link:
        if one == other:
            raise ValueError(f"a link needs two distinct ends, got {one} twice")
        a, b = sorted((one, other))
        return cls(a, b, source)

    @property
    def key(self) -> str:
        return f"{self.a}--{self.b}"

    def touches(self, device: str) -> bool:
        return device in (self.a.device, self.b.device)
