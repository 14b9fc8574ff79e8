"""SNMP v1/v2c/v3: polling driver (fast BER path for v1/v2c, pysnmp for v3) and notification receiver."""

from __future__ import annotations

from typing import Any

from adapters.blocking import BlockingRunner
from adapters.models import Protocol
from adapters.registry import ANY_PLATFORM, DriverRegistry
from adapters.snmp.driver import SnmpDriver, SnmpManager

__all__ = ["SnmpDriver", "SnmpManager", "register"]


def register(registry: DriverRegistry, runner: BlockingRunner, manager: SnmpManager | None = None) -> None:
    """SNMP serves every platform; it needs no thread pool (pysnmp and our codec are asyncio)."""
    shared = manager or SnmpManager()

    def factory(target: Any) -> SnmpDriver:
        return SnmpDriver(target, shared)

    registry.register(ANY_PLATFORM, Protocol.SNMP, factory, SnmpDriver.capabilities)
