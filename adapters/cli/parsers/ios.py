"""Parsers for Cisco IOS-style screen output, through TextFSM templates from ntc-templates.

IOS has no structured output on most releases; the community's ntc-templates are the de facto
parsers, so we map their records to our models instead of writing regexes of our own.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ntc_templates.parse import parse_output

from adapters.models import DeviceFacts, InterfaceAddress, InterfaceInfo, OperStatus, RoutingNeighbor

PLATFORM = "cisco_ios"
_SPEED = re.compile(r"(?P<value>\d+)\s*(?P<unit>[KMG])b/s", re.IGNORECASE)
_UNITS = {"k": 10**3, "m": 10**6, "g": 10**9}


def _records(command: str, text: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = parse_output(platform=PLATFORM, command=command, data=text)
    return records


def _uptime(record: dict[str, Any]) -> float:
    parts = {
        "uptime_years": 365 * 86400,
        "uptime_weeks": 7 * 86400,
        "uptime_days": 86400,
        "uptime_hours": 3600,
        "uptime_minutes": 60,
    }
    return float(sum(int(record.get(key) or 0) * factor for key, factor in parts.items()))


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value or "")


def parse_version(text: str) -> DeviceFacts:
    """``show version``."""
    records = _records("show version", text)
    if not records:
        raise ValueError("not IOS 'show version' output")
    record = records[0]
    return DeviceFacts(
        hostname=str(record.get("hostname", "")),
        vendor="Cisco",
        model=_first(record.get("hardware")),
        os_version=str(record.get("version") or record.get("rommon") or ""),
        serial=_first(record.get("serial")),
        uptime_s=_uptime(record),
    )


def _oper(protocol_status: str) -> OperStatus:
    word = protocol_status.split()[0].lower() if protocol_status else ""
    return {"up": OperStatus.UP, "down": OperStatus.DOWN}.get(word, OperStatus.UNKNOWN)


def _speed(record: dict[str, Any]) -> int | None:
    match = _SPEED.search(str(record.get("speed", "")))
    if match:
        return int(match["value"]) * _UNITS[match["unit"].lower()]
    bandwidth = str(record.get("bandwidth", "")).split()
    return int(bandwidth[0]) * 1000 if bandwidth and bandwidth[0].isdigit() else None


def _mac(dotted: str) -> str | None:
    digits = dotted.replace(".", "").lower()
    if len(digits) != 12:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def parse_interfaces(text: str) -> list[InterfaceInfo]:
    """``show interfaces``: admin state from the link line (``administratively down``)."""
    result = []
    for record in _records("show interfaces", text):
        link = str(record.get("link_status", ""))
        address = str(record.get("ip_address", ""))
        prefix = str(record.get("prefix_length", ""))
        addresses = (InterfaceAddress(ipaddress.ip_interface(f"{address}/{prefix}")),) if address and prefix else ()
        mtu = str(record.get("mtu", ""))
        result.append(
            InterfaceInfo(
                name=str(record["interface"]),
                description=str(record.get("description", "")),
                if_type=str(record.get("hardware_type", "")),
                speed_bps=_speed(record),
                mtu=int(mtu) if mtu.isdigit() else None,
                mac=_mac(str(record.get("mac_address", ""))),
                admin_up="administratively" not in link,
                oper_status=_oper(str(record.get("protocol_status", ""))),
                addresses=addresses,
            )
        )
    return result


def parse_bgp_summary(text: str) -> list[RoutingNeighbor]:
    """``show ip bgp summary``: the last column is a prefix count when up, else the state."""
    result = []
    for record in _records("show ip bgp summary", text):
        state_or_count = str(record.get("state_or_prefixes_received", ""))
        is_up = state_or_count.isdigit()
        result.append(
            RoutingNeighbor(
                protocol="bgp",
                neighbor=str(record["bgp_neighbor"]),
                state="Established" if is_up else state_or_count,
                is_up=is_up,
                remote_as=int(record["neighbor_as"]) if str(record.get("neighbor_as", "")).isdigit() else None,
                local_as=int(record["local_as"]) if str(record.get("local_as", "")).isdigit() else None,
                router_id=str(record.get("router_id")) or None,
                prefixes_received=int(state_or_count) if is_up else None,
            )
        )
    return result


def parse_output_records(platform: str, command: str, data: str) -> list[dict[str, Any]]:
    """Any command ntc-templates has a template for, as its raw records."""
    records: list[dict[str, Any]] = parse_output(platform=platform, command=command, data=data)
    return records
