"""Pure conversions from NAPALM's getter dictionaries to the adapters' models."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from adapters.models import (
    DeviceFacts,
    InterfaceAddress,
    InterfaceCounters,
    InterfaceInfo,
    LldpNeighbor,
    OperStatus,
    RoutingNeighbor,
)


def facts(data: dict[str, Any]) -> DeviceFacts:
    uptime = float(data.get("uptime", -1))
    return DeviceFacts(
        hostname=str(data.get("hostname", "")),
        vendor=str(data.get("vendor", "")),
        model=str(data.get("model", "")),
        os_version=str(data.get("os_version", "")),
        serial=str(data.get("serial_number", "")),
        uptime_s=max(uptime, 0.0),
    )


def _mac(value: str) -> str | None:
    digits = "".join(ch for ch in value.lower() if ch in "0123456789abcdef")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2)) if len(digits) == 12 else None


def interfaces(data: dict[str, dict[str, Any]], addresses: dict[str, dict[str, Any]]) -> list[InterfaceInfo]:
    """``get_interfaces`` joined with ``get_interfaces_ip``; NAPALM speed is Mbit/s (-1 unknown)."""
    result = []
    for name, raw in data.items():
        found: list[InterfaceAddress] = []
        for family in ("ipv4", "ipv6"):
            for ip, detail in addresses.get(name, {}).get(family, {}).items():
                found.append(InterfaceAddress(ipaddress.ip_interface(f"{ip}/{detail['prefix_length']}")))
        speed = float(raw.get("speed", -1))
        mtu = int(raw.get("mtu", 0))
        result.append(
            InterfaceInfo(
                name=name,
                description=str(raw.get("description", "")),
                speed_bps=int(speed * 1_000_000) if speed > 0 else None,
                mtu=mtu or None,
                mac=_mac(str(raw.get("mac_address", ""))),
                admin_up=bool(raw.get("is_enabled", True)),
                oper_status=OperStatus.UP if raw.get("is_up") else OperStatus.DOWN,
                addresses=tuple(found),
            )
        )
    return result


def counters(data: dict[str, dict[str, int]], read_at: datetime, uptime_s: float) -> list[InterfaceCounters]:
    """NAPALM's ``-1`` (unsupported counter) becomes 0: the rate calculator never sees negatives."""

    def value(raw: dict[str, int], key: str) -> int:
        return max(int(raw.get(key, 0)), 0)

    return [
        InterfaceCounters(
            name=name,
            counter_bits=64,
            device_uptime_s=uptime_s,
            read_at=read_at,
            in_octets=value(raw, "rx_octets"),
            out_octets=value(raw, "tx_octets"),
            in_unicast_packets=value(raw, "rx_unicast_packets"),
            out_unicast_packets=value(raw, "tx_unicast_packets"),
            in_multicast_packets=value(raw, "rx_multicast_packets"),
            out_multicast_packets=value(raw, "tx_multicast_packets"),
            in_broadcast_packets=value(raw, "rx_broadcast_packets"),
            out_broadcast_packets=value(raw, "tx_broadcast_packets"),
            in_errors=value(raw, "rx_errors"),
            out_errors=value(raw, "tx_errors"),
            in_discards=value(raw, "rx_discards"),
            out_discards=value(raw, "tx_discards"),
        )
        for name, raw in data.items()
    ]


def lldp(data: dict[str, list[dict[str, str]]]) -> list[LldpNeighbor]:
    return [
        LldpNeighbor(local_interface=local, remote_system_name=n.get("hostname", ""), remote_port=n.get("port", ""))
        for local, neighbours in data.items()
        for n in neighbours
    ]


def bgp(data: dict[str, dict[str, Any]]) -> list[RoutingNeighbor]:
    result = []
    for vrf in data.values():
        for address, peer in vrf.get("peers", {}).items():
            families = peer.get("address_family", {}).values()
            received = sum(max(int(f.get("received_prefixes", 0)), 0) for f in families)
            result.append(
                RoutingNeighbor(
                    protocol="bgp",
                    neighbor=address,
                    state="Established" if peer.get("is_up") else ("Idle" if peer.get("is_enabled") else "Admin down"),
                    is_up=bool(peer.get("is_up")),
                    remote_as=int(peer.get("remote_as", 0)) or None,
                    local_as=int(peer.get("local_as", 0)) or None,
                    router_id=str(vrf.get("router_id", "")) or None,
                    uptime_s=float(peer["uptime"]) if int(peer.get("uptime", -1)) >= 0 else None,
                    prefixes_received=received,
                )
            )
    return result
