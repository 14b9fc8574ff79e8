"""Commands: requests in the imperative, each handled by exactly one handler that raises on failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
    order_id: str
    items: tuple[ServiceOrderItemSpec, ...]
    external_id: str | None = None
    description: str = ""
    characteristics: dict[str, str] = field(default_factory=dict)
