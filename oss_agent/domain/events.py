"""Domain events: facts in the past tense, immutable, handled by any number of handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every domain event."""


@dataclass(frozen=True, slots=True)
class DeviceAdded(Event):
    name: str
    platform: str


@dataclass(frozen=True, slots=True)
class DeviceUpdated(Event):
    name: str
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeviceRemoved(Event):
    name: str


@dataclass(frozen=True, slots=True)
class InterfaceAppeared(Event):
    device: str
    interface: str


@dataclass(frozen=True, slots=True)
class InterfaceRemoved(Event):
    device: str
    interface: str


@dataclass(frozen=True, slots=True)
class InterfaceStatusChanged(Event):
    device: str
    interface: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class InterfaceAdminStateChanged(Event):
    """An interface was enabled (``admin_up``) or shut."""

    device: str
    interface: str
    admin_up: bool


@dataclass(frozen=True, slots=True)
class InterfaceAttributesChanged(Event):
    """Attributes other than state and speed changed (description, type, MTU, MAC, ifIndex)."""

    device: str
    interface: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeviceReachabilityChanged(Event):
    """Polls, traps or discovery found the device answering again (``new``) or not answering;
    ``old`` is None the first time it is observed."""

    device: str
    old: bool | None
    new: bool


@dataclass(frozen=True, slots=True)
class InterfaceSpeedChanged(Event):
    device: str
    interface: str
    old_bps: int | None
    new_bps: int | None


@dataclass(frozen=True, slots=True)
class LinkDiscovered(Event):
    key: str


@dataclass(frozen=True, slots=True)
class AlarmRaised(Event):
    alarm_id: str
    reduction_key: str
    severity: str


@dataclass(frozen=True, slots=True)
class AlarmUpdated(Event):
    alarm_id: str
    repeat_count: int
    severity: str


@dataclass(frozen=True, slots=True)
class AlarmCleared(Event):
    alarm_id: str
    cleared_at: datetime


@dataclass(frozen=True, slots=True)
class AlarmAcknowledged(Event):
    alarm_id: str
    user: str


@dataclass(frozen=True, slots=True)
class ServiceOrderStateChanged(Event):
    order_id: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class DeviceFactsChanged(Event):
    """A device reported a different vendor, model, OS version or serial (an upgrade, a swap)."""

    device: str
    field: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class InterfaceAddressAdded(Event):
    device: str
    interface: str
    address: str


@dataclass(frozen=True, slots=True)
class InterfaceAddressRemoved(Event):
    device: str
    interface: str
    address: str


@dataclass(frozen=True, slots=True)
class LldpNeighborAppeared(Event):
    device: str
    interface: str
    remote_device: str
    remote_port: str


@dataclass(frozen=True, slots=True)
class LldpNeighborLost(Event):
    device: str
    interface: str
    remote_device: str
    remote_port: str


@dataclass(frozen=True, slots=True)
class RoutingAdjacencyChanged(Event):
    """A BGP/OSPF adjacency appeared (old ""), changed state, or disappeared (new "")."""

    device: str
    protocol: str
    neighbor: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class DeviceDiscovered(Event):
    """A device not in the inventory was found by crawling a neighbour's LLDP management address."""

    device: str
    host: str
    found_from: str


@dataclass(frozen=True, slots=True)
class ConfigurationVersioned(Event):
    """A device's running configuration changed (after normalization) and was stored as a new version."""

    device: str
    version: int
    digest: str
    datastore: str = "running"


@dataclass(frozen=True, slots=True)
class ConfigurationDrifted(Event):
    """The running configuration differs from the last approved version."""

    device: str
    version: int
    approved_version: int
    datastore: str = "running"


@dataclass(frozen=True, slots=True)
class ConfigurationApproved(Event):
    device: str
    version: int
    user: str
    datastore: str = "running"


@dataclass(frozen=True, slots=True)
class AlarmUnacknowledged(Event):
    alarm_id: str
    user: str


@dataclass(frozen=True, slots=True)
class AlarmCommented(Event):
    alarm_id: str
    author: str


@dataclass(frozen=True, slots=True)
class AlarmCorrelated(Event):
    """An alarm already published was found to be a symptom of ``root_alarm_id``."""

    alarm_id: str
    root_alarm_id: str


@dataclass(frozen=True, slots=True)
class ServiceOrderSubmitted(Event):
    order_id: str


@dataclass(frozen=True, slots=True)
class ServiceCreated(Event):
    service_id: str


@dataclass(frozen=True, slots=True)
class ServiceStateChanged(Event):
    service_id: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ServiceAttributesChanged(Event):
    """A service's characteristics, resources or sync status changed (``what`` names them)."""

    service_id: str
    what: str


@dataclass(frozen=True, slots=True)
class AlarmUncorrelated(Event):
    """An alarm is no longer a symptom of ``root_alarm_id`` (an operator ungrouped it)."""

    alarm_id: str
    root_alarm_id: str
