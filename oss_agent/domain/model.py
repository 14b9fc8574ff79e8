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
    DeviceUpdated,
    Event,
    InterfaceAppeared,
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
        for name, state in seen.items():
            current = self.interfaces.get(name)
            if current is None:
                self.interfaces[name] = Interface(
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
                self.events.append(InterfaceAppeared(self.name, name))
                continue
            if current.oper_status != state.oper_status:
                self.events.append(InterfaceStatusChanged(self.name, name, current.oper_status, state.oper_status))
                current.last_change = at
            if current.speed_bps != state.speed_bps:
                self.events.append(InterfaceSpeedChanged(self.name, name, current.speed_bps, state.speed_bps))
            current.index, current.description, current.if_type = state.index, state.description, state.if_type
            current.speed_bps, current.mtu, current.mac = state.speed_bps, state.mtu, state.mac
            current.admin_up, current.oper_status = state.admin_up, state.oper_status


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
