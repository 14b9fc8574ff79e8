"""Southbound adapters: one driver contract over SNMP, NETCONF, SSH CLI and NAPALM.

This package imports nothing else of the project: the agent depends on it, never the reverse.
Its public contract is what this module exports.
"""

from adapters.contract import BaseDriver, Capability, Driver
from adapters.errors import (
    AdapterError,
    AuthenticationError,
    ConfigurationRejectedError,
    DeviceTimeoutError,
    DeviceUnreachableError,
    DriverNotFoundError,
    UnsupportedOperationError,
)
from adapters.models import (
    CommitResult,
    ConfigDiff,
    DeviceFacts,
    DeviceHealth,
    InterfaceAddress,
    InterfaceCounters,
    InterfaceInfo,
    LldpNeighbor,
    OperStatus,
    PingResult,
    Platform,
    Protocol,
    RoutingNeighbor,
    RunningConfig,
)
from adapters.registry import ANY_PLATFORM, DEFAULT_PREFERENCES, DriverRegistry
from adapters.target import DeviceTarget, NetconfAccess, Secret, SnmpAccess, SshAccess

__all__ = [
    "ANY_PLATFORM",
    "DEFAULT_PREFERENCES",
    "AdapterError",
    "AuthenticationError",
    "BaseDriver",
    "Capability",
    "CommitResult",
    "ConfigDiff",
    "ConfigurationRejectedError",
    "DeviceFacts",
    "DeviceHealth",
    "DeviceTarget",
    "DeviceTimeoutError",
    "DeviceUnreachableError",
    "Driver",
    "DriverNotFoundError",
    "DriverRegistry",
    "InterfaceAddress",
    "InterfaceCounters",
    "InterfaceInfo",
    "LldpNeighbor",
    "NetconfAccess",
    "OperStatus",
    "PingResult",
    "Platform",
    "Protocol",
    "RoutingNeighbor",
    "RunningConfig",
    "Secret",
    "SnmpAccess",
    "SshAccess",
    "UnsupportedOperationError",
]
