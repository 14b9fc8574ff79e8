"""Parsers for FRR's vtysh output.

FRR prints JSON for most show commands (``show interface json``, ``show bgp summary json``,
``show ip route json``): we parse that instead of screen text, because its keys stay stable across
releases while the column layout does not. ``show version`` has no JSON form and is parsed as text.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any

from adapters.models import (
    DeviceFacts,
    InterfaceAddress,
    InterfaceInfo,
    OperStatus,
    RoutingNeighbor,
)

_VERSION = re.compile(r"^FRRouting (?P<version>\S+) \((?P<hostname>[^)]*)\)(?: on (?P<os>\S+))?", re.MULTILINE)
_HOSTNAME = re.compile(r"^hostname (\S+)$", re.MULTILINE)
_UPTIME = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$|^(?P<hh>\d+):(?P<mm>\d+):(?P<ss>\d+)$")


@dataclass(frozen=True, slots=True)
class Route:
    """One selected route of ``show ip route json``."""

    prefix: str
    protocol: str
    distance: int
    metric: int
    next_hops: tuple[str, ...]
    interfaces: tuple[str, ...]


def _loads(text: str) -> Any:
    # vtysh echoes nothing before the JSON, but a banner or a stray prompt line must not break us.
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        raise ValueError("no JSON object in the output")
    return json.loads(text[start:])


def parse_version(text: str) -> DeviceFacts:
    """``show version``: FRR prints its version and the hostname it runs as on the first line."""
    match = _VERSION.search(text)
    if match is None:
        raise ValueError("not FRR 'show version' output")
    return DeviceFacts(
        hostname=match["hostname"],
        vendor="FRRouting",
        model="FRR",
        os_version=match["version"],
        serial="",
        uptime_s=0.0,
    )


def parse_hostname(running_config: str) -> str | None:
    """The ``hostname`` line of a running configuration, if any."""
    match = _HOSTNAME.search(running_config)
    return match[1] if match else None


def _oper(status: str) -> OperStatus:
    return {"up": OperStatus.UP, "down": OperStatus.DOWN}.get(status.lower(), OperStatus.UNKNOWN)


def parse_interfaces(text: str) -> list[InterfaceInfo]:
    """``show interface json``. FRR reports speed in Mbit/s (0 when unknown) and v4+v6 addresses."""
    data: dict[str, dict[str, Any]] = _loads(text)
    result = []
    for name, raw in data.items():
        addresses = tuple(
            InterfaceAddress(ipaddress.ip_interface(entry["address"]))
            for entry in raw.get("ipAddresses", [])
            if "address" in entry
        )
        speed = raw.get("speed")
        result.append(
            InterfaceInfo(
                name=name,
                index=raw.get("index"),
                description=raw.get("description", ""),
                if_type=str(raw.get("type", "")),
                speed_bps=int(speed) * 1_000_000 if isinstance(speed, int) and speed > 0 else None,
                mtu=raw.get("mtu"),
                mac=raw.get("hardwareAddress") or None,
                admin_up=raw.get("administrativeStatus", "up") == "up",
                oper_status=_oper(str(raw.get("operationalStatus", ""))),
                addresses=addresses,
            )
        )
    return result


def uptime_seconds(text: str) -> float | None:
    """FRR's uptime strings: ``00:01:02`` under a day, ``1d02h03m`` beyond, ``5w2d01h`` beyond a week."""
    weeks = 0
    if "w" in text:
        week_part, text = text.split("w", 1)
        weeks = int(week_part)
    match = _UPTIME.match(text)
    if match is None:
        return None
    if match["hh"] is not None:
        seconds = int(match["hh"]) * 3600 + int(match["mm"]) * 60 + int(match["ss"])
    else:
        seconds = int(match["d"] or 0) * 86400 + int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60
    return float(weeks * 7 * 86400 + seconds)


def parse_bgp_summary(text: str) -> list[RoutingNeighbor]:
    """``show bgp summary json``: one neighbour per peer and address family present."""
    data: dict[str, Any] = _loads(text)
    result = []
    for family in data.values():
        if not isinstance(family, dict) or "peers" not in family:
            continue
        for address, peer in family["peers"].items():
            state = str(peer.get("state", "unknown"))
            uptime_ms = peer.get("peerUptimeMsec")
            result.append(
                RoutingNeighbor(
                    protocol="bgp",
                    neighbor=address,
                    state=state,
                    is_up=state == "Established",
                    remote_as=peer.get("remoteAs"),
                    local_as=peer.get("localAs", family.get("as")),
                    router_id=family.get("routerId"),
                    uptime_s=uptime_ms / 1000.0 if isinstance(uptime_ms, int) else None,
                    prefixes_received=peer.get("pfxRcd"),
                )
            )
    return result


def parse_routes(text: str) -> list[Route]:
    """``show ip route json``: the selected route of each prefix (FRR lists rejected ones too)."""
    data: dict[str, list[dict[str, Any]]] = _loads(text)
    result = []
    for prefix, entries in data.items():
        for entry in entries:
            if not entry.get("selected"):
                continue
            hops = entry.get("nexthops", [])
            result.append(
                Route(
                    prefix=prefix,
                    protocol=str(entry.get("protocol", "")),
                    distance=int(entry.get("distance", 0)),
                    metric=int(entry.get("metric", 0)),
                    next_hops=tuple(h["ip"] for h in hops if "ip" in h),
                    interfaces=tuple(h["interfaceName"] for h in hops if "interfaceName" in h),
                )
            )
    return result
