"""Commands: requests in the imperative, each handled by exactly one handler that raises on failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oss_agent.domain.catalog import Problem
from oss_agent.domain.discovery import RUNNING, AddressState, ConfigText, FactsState, NeighborState
from oss_agent.domain.fault import FaultSignal
from oss_agent.domain.model import AlarmSpec, DeviceSpec, InterfaceState, ServiceOrderItemSpec


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every command."""


@dataclass(frozen=True, slots=True)
class SyncInventory(Command):
    """Make the stored devices match the inventory file: add, update, and optionally remove."""

    devices: tuple[DeviceSpec, ...]
    remove_missing: bool = True


@dataclass(frozen=True, slots=True)
class RecordInterfaces(Command):
    """Store what a device reported about its interfaces, keeping the history of changes."""

    device: str
    interfaces: tuple[InterfaceState, ...]


@dataclass(frozen=True, slots=True)
class RecordPolledInterfaces(Command):
    """What a poll saw of a device's interfaces: their state now (the poller sends it when it changed),
    and interfaces that appeared since the last discovery."""

    device: str
    at: datetime
    interfaces: tuple[InterfaceState, ...]


@dataclass(frozen=True, slots=True)
class RaiseAlarm(Command):
    spec: AlarmSpec
    at: datetime


@dataclass(frozen=True, slots=True)
class ClearAlarm(Command):
    reduction_key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AcknowledgeAlarm(Command):
    alarm_id: str
    user: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SubmitServiceOrder(Command):
    """Accept a service order (TMF641), or store it as rejected with every problem found.

    ``problems`` are those found while reading the request (its shape); the handler adds what it finds
    against the catalog and the inventory. The same ``external_id`` twice gives the first order back.
    """

    order_id: str
    items: tuple[ServiceOrderItemSpec, ...]
    external_id: str | None = None
    description: str = ""
    characteristics: dict[str, str] = field(default_factory=dict)
    requested_start: datetime | None = None
    related_party: tuple[dict[str, Any], ...] = ()
    category: str = ""
    priority: str = ""
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class CancelServiceOrder(Command):
    """TMF641 cancelServiceOrder: granted until the order's commit starts, refused (and recorded) after."""

    order_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RecordDiscovery(Command):
    """Store one device's discovery in one transaction, keeping the history of what changed.

    A part left ``None`` was not collected this time (its driver failed or is missing) and keeps its
    previous value, so a failed LLDP read never reads as "every neighbour lost"; likewise a datastore
    missing from ``configs``. ``spec`` creates a device found by crawling; ``error`` records a failed attempt.
    """

    device: str
    at: datetime
    facts: FactsState | None = None
    interfaces: tuple[InterfaceState, ...] | None = None
    addresses: tuple[AddressState, ...] | None = None
    lldp: tuple[NeighborState, ...] | None = None
    routing: tuple[NeighborState, ...] | None = None
    configs: tuple[ConfigText, ...] = ()
    spec: DeviceSpec | None = None
    found_from: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ApproveConfiguration(Command):
    """Mark a version of one datastore (default: the latest) as the one drift is measured against."""

    device: str
    user: str
    at: datetime
    version: int | None = None
    datastore: str = RUNNING


@dataclass(frozen=True, slots=True)
class ProcessFaultSignals(Command):
    """Apply a batch of fault observations in one transaction: raise, update or clear alarms,
    correlate symptoms with their root cause, and keep every observation as a fault event."""

    signals: tuple[FaultSignal, ...]


@dataclass(frozen=True, slots=True)
class AcknowledgeAlarms(Command):
    """Acknowledge several alarms at once (TMF642 ackAlarms): all of them or, on any error, none."""

    alarm_ids: tuple[str, ...]
    user: str
    at: datetime


@dataclass(frozen=True, slots=True)
class UnacknowledgeAlarms(Command):
    alarm_ids: tuple[str, ...]
    user: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ClearAlarmsById(Command):
    """An operator clears alarms by id (``ClearAlarm`` is what a source sends, by reduction key)."""

    alarm_ids: tuple[str, ...]
    user: str
    at: datetime


@dataclass(frozen=True, slots=True)
class GroupAlarms(Command):
    """Correlate alarms under a root cause (TMF642 groupAlarms): all of them or none."""

    root_id: str
    alarm_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UngroupAlarms(Command):
    """Uncorrelate alarms from their root cause (TMF642 unGroupAlarms); others are left alone."""

    root_id: str
    alarm_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CommentAlarms(Command):
    alarm_ids: tuple[str, ...]
    author: str
    text: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PublishUsage(Command):
    """Publish the usage (TMF635) of every interval of every measured service that is complete ``at``."""

    at: datetime
