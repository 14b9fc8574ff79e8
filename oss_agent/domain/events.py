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
