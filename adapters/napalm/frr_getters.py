"""Pure functions from FRR's vtysh output to NAPALM's getter shapes (``napalm.base.models``).

Kept apart from the driver so they are tested from recorded output, without a device.
vtysh has no uptime, serial number or interface counters; NAPALM's convention for a value the
device cannot give is ``-1`` (numbers) or ``""`` (strings), and that is what these return.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from adapters.cli.parsers import frr as frr_parsers

_COUNTER_LINE = re.compile(
    r"^\s*(?P<dir>input|output) packets (?P<packets>\d+), bytes (?P<bytes>\d+)"
    r"(?:, dropped (?P<dropped>\d+))?",
    re.MULTILINE,
)
_IF_HEADER = re.compile(r"^Interface (\S+) is ", re.MULTILINE)
COUNTER_KEYS = (
    "tx_errors",
    "rx_errors",
    "tx_discards",
    "rx_discards",
    "tx_octets",
    "rx_octets",
    "tx_unicast_packets",
    "rx_unicast_packets",
    "tx_multicast_packets",
    "rx_multicast_packets",
    "tx_broadcast_packets",
    "rx_broadcast_packets",
)


def _json(text: str) -> Any:
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object in the output")
    return json.loads(text[start:])


def facts(version_text: str, interfaces_json: str, running_config: str) -> dict[str, Any]:
    """``get_facts``: version and hostname from ``show version``, the hostname line wins if set."""
    parsed = frr_parsers.parse_version(version_text)
    hostname = frr_parsers.parse_hostname(running_config) or parsed.hostname
    domain = re.search(r"^domainname (\S+)$", running_config, re.MULTILINE)
    return {
        "uptime": -1.0,
        "vendor": "FRRouting",
        "os_version": parsed.os_version,
        "serial_number": "",
        "model": "FRR",
        "hostname": hostname,
        "fqdn": f"{hostname}.{domain[1]}" if domain else hostname,
        "interface_list": sorted(_json(interfaces_json)),
    }


def interfaces(interfaces_json: str) -> dict[str, dict[str, Any]]:
    """``get_interfaces``: FRR gives speed in Mbit/s, as NAPALM wants (float)."""
    result = {}
    for name, raw in _json(interfaces_json).items():
        speed = raw.get("speed")
        result[name] = {
            "is_up": raw.get("operationalStatus") == "up",
            "is_enabled": raw.get("administrativeStatus") == "up",
            "description": str(raw.get("description", "")),
            "last_flapped": -1.0,
            "mtu": int(raw.get("mtu", 0)),
            "speed": float(speed) if isinstance(speed, int) and speed > 0 else -1.0,
            "mac_address": str(raw.get("hardwareAddress", "")),
        }
    return result


def interfaces_ip(interfaces_json: str) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """``get_interfaces_ip``: only interfaces with an address appear, as NAPALM's drivers do."""
    result: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    for name, raw in _json(interfaces_json).items():
        for entry in raw.get("ipAddresses", []):
            address = ipaddress.ip_interface(entry["address"])
            family = "ipv4" if address.version == 4 else "ipv6"
            result.setdefault(name, {}).setdefault(family, {})[str(address.ip)] = {
                "prefix_length": address.network.prefixlen
            }
    return result


def interfaces_counters(interfaces_json: str, interface_text: str) -> dict[str, dict[str, int]]:
    """``get_interfaces_counters`` from ``show interface`` text where FRR prints packet lines; else -1."""
    result = {name: dict.fromkeys(COUNTER_KEYS, -1) for name in _json(interfaces_json)}
    headers = list(_IF_HEADER.finditer(interface_text))
    for position, header in enumerate(headers):
        end = headers[position + 1].start() if position + 1 < len(headers) else len(interface_text)
        block = interface_text[header.end() : end]
        counters = result.setdefault(header[1], dict.fromkeys(COUNTER_KEYS, -1))
        for match in _COUNTER_LINE.finditer(block):
            side = "rx" if match["dir"] == "input" else "tx"
            counters[f"{side}_octets"] = int(match["bytes"])
            counters[f"{side}_unicast_packets"] = int(match["packets"])
            if match["dropped"] is not None:
                counters[f"{side}_discards"] = int(match["dropped"])
    return result


def bgp_neighbors(summary_json: str, neighbors_json: str) -> dict[str, dict[str, Any]]:
    """``get_bgp_neighbors`` for the default VRF: NAPALM's ``global`` key."""
    summary = _json(summary_json)
    details = _json(neighbors_json) if neighbors_json.strip() else {}
    router_id = ""
    peers: dict[str, dict[str, Any]] = {}
    for family_name, family in summary.items():
        if not isinstance(family, dict) or "peers" not in family:
            continue
        router_id = router_id or str(family.get("routerId", ""))
        afi = "ipv4" if family_name.startswith("ipv4") else "ipv6" if family_name.startswith("ipv6") else family_name
        for address, peer in family["peers"].items():
            detail = details.get(address, {})
            entry = peers.setdefault(
                address,
                {
                    "local_as": int(peer.get("localAs", family.get("as", 0))),
                    "remote_as": int(peer.get("remoteAs", 0)),
                    "remote_id": str(detail.get("remoteRouterId", "0.0.0.0")),  # noqa: S104 (unknown id)
                    "is_up": peer.get("state") == "Established",
                    "is_enabled": "Admin" not in str(peer.get("state", "")),
                    "description": str(peer.get("desc", detail.get("nbrDesc", ""))),
                    "uptime": int(peer.get("peerUptimeMsec", 0)) // 1000,
                    "address_family": {},
                },
            )
            received = int(peer.get("pfxRcd", 0))
            entry["address_family"][afi] = {
                "received_prefixes": received,
                "accepted_prefixes": received,
                "sent_prefixes": int(peer.get("pfxSnt", 0)),
            }
    return {"global": {"router_id": router_id, "peers": peers}}
