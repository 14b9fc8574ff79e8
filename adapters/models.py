"""Typed results shared by every driver.

Each driver returns these shapes whatever protocol it speaks, so the agent never sees a vendor's
format. They are frozen: a result is a reading taken at one moment, not something to edit.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Protocol(StrEnum):
    """How the agent talks to a device."""

    SNMP = "snmp"
    NETCONF = "netconf"
    CLI = "cli"
    NAPALM = "napalm"
    FAKE = "fake"


class Platform(StrEnum):
    """Network operating systems the inventory may name."""

    FRR = "frr"
    LINUX = "linux"
    CISCO_IOS = "cisco_ios"
    CISCO_IOSXR = "cisco_iosxr"
    CISCO_NXOS = "cisco_nxos"
    ARISTA_EOS = "arista_eos"
    JUNIPER_JUNOS = "juniper_junos"


class OperStatus(StrEnum):
    """IF-MIB ifOperStatus values, by name."""

    UP = "up"
    DOWN = "down"
    TESTING = "testing"
    UNKNOWN = "unknown"
    DORMANT = "dormant"
    NOT_PRESENT = "notPresent"
    LOWER_LAYER_DOWN = "lowerLayerDown"


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """What a device says about itself.

    Example: ``DeviceFacts(hostname="pe1", vendor="FRRouting", model="FRR", os_version="8.4.4",
    serial="", uptime_s=3600.0)``.
    """

    hostname: str
    vendor: str
    model: str
    os_version: str
    serial: str
    uptime_s: float


@dataclass(frozen=True, slots=True)
class InterfaceAddress:
    """An address configured on an interface, with its prefix length."""

    address: ipaddress.IPv4Interface | ipaddress.IPv6Interface


@dataclass(frozen=True, slots=True)
class InterfaceInfo:
    """One interface as the device reports it.

    ``speed_bps`` is ``None`` when the device does not know (virtual interfaces); ``index`` is the
    ifIndex where the protocol exposes one.
    """

    name: str
    index: int | None = None
    description: str = ""
    if_type: str = ""
    speed_bps: int | None = None
    mtu: int | None = None
    mac: str | None = None
    admin_up: bool = True
    oper_status: OperStatus = OperStatus.UNKNOWN
    addresses: tuple[InterfaceAddress, ...] = ()


@dataclass(frozen=True, slots=True)
class InterfaceCounters:
    """Counters of one interface at one read.

    ``counter_bits`` (32 or 64) tells the rate calculator where the counters wrap; ``device_uptime_s``
    taken in the same read lets it notice a restart instead of inventing a spike.
    """

    name: str
    counter_bits: int
    device_uptime_s: float
    read_at: datetime
    in_octets: int = 0
    out_octets: int = 0
    in_unicast_packets: int = 0
    out_unicast_packets: int = 0
    in_multicast_packets: int = 0
    out_multicast_packets: int = 0
    in_broadcast_packets: int = 0
    out_broadcast_packets: int = 0
    in_errors: int = 0
    out_errors: int = 0
    in_discards: int = 0
    out_discards: int = 0
    discontinuity_time: float | None = None


@dataclass(frozen=True, slots=True)
class LldpNeighbor:
    """A neighbour seen by LLDP on a local interface."""

    local_interface: str
    remote_system_name: str
    remote_port: str
    remote_chassis_id: str = ""
    remote_port_description: str = ""
    remote_management_address: str | None = None


@dataclass(frozen=True, slots=True)
class RoutingNeighbor:
    """A BGP or OSPF adjacency."""

    protocol: str
    neighbor: str
    state: str
    is_up: bool
    remote_as: int | None = None
    local_as: int | None = None
    router_id: str | None = None
    interface: str | None = None
    uptime_s: float | None = None
    prefixes_received: int | None = None


@dataclass(frozen=True, slots=True)
class RunningConfig:
    """The configuration as the device runs it, as text in the device's own syntax."""

    text: str
    format: str = "text"


@dataclass(frozen=True, slots=True)
class ConfigDiff:
    """What a candidate would change, as a unified diff; empty when nothing would change."""

    text: str

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True, slots=True)
class CommitResult:
    """Outcome of committing a candidate."""

    committed: bool
    diff: ConfigDiff
    message: str = ""
    rollback_id: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """CPU and memory where the device exposes them (HOST-RESOURCES-MIB over SNMP); None when not."""

    cpu_pct: float | None
    mem_used_pct: float | None
    response_ms: float | None = None


@dataclass(frozen=True, slots=True)
class PingResult:
    """Echo requests a device sent to ``destination`` and what came back; round trips in milliseconds,
    None when no reply came. Loss is the device's own count (``sent - received``), never guessed."""

    destination: str
    sent: int
    received: int
    rtt_min_ms: float | None = None
    rtt_avg_ms: float | None = None
    rtt_max_ms: float | None = None

    @property
    def loss_pct(self) -> float:
        return 100.0 * (self.sent - self.received) / self.sent if self.sent else 100.0
