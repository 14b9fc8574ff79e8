"""Which LLDP neighbours to follow: pure decisions, tested without a network.

A neighbour is followed when it advertises a management address inside one of the configured
subnets and is neither a known device (by name or address) nor already queued. It is reached with
the SNMP access of the device that saw it, as platform ``linux`` (SNMP needs no platform): the user's
inventory file is never touched, the device is only stored as discovered.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from adapters import DeviceTarget, LldpNeighbor, Platform

_NAME_OK = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True, slots=True)
class CrawlCandidate:
    target: DeviceTarget
    found_from: str


def device_name(system_name: str, address: str) -> str:
    """A name the inventory would accept: the LLDP system name's first label, else one from the address."""
    label = system_name.strip().split(".")[0] if system_name.strip() else ""
    cleaned = _NAME_OK.sub("-", label).strip("-_.")[:63]
    return cleaned or "host-" + address.replace(".", "-").replace(":", "-")


def candidates(
    source: DeviceTarget,
    neighbors: Iterable[LldpNeighbor],
    subnets: Sequence[str],
    known_names: set[str],
    known_hosts: set[str],
) -> list[CrawlCandidate]:
    """New devices to discover among ``source``'s LLDP neighbours; names and hosts are added to the known sets."""
    networks = [ipaddress.ip_network(s, strict=False) for s in subnets]
    found: list[CrawlCandidate] = []
    if source.snmp is None or not networks:
        return found
    for n in neighbors:
        address = (n.remote_management_address or "").strip()
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        if not any(ip in net for net in networks):
            continue
        name = device_name(n.remote_system_name, address)
        if name in known_names or address in known_hosts:
            continue
        known_names.add(name)
        known_hosts.add(address)
        target = DeviceTarget(name=name, host=address, platform=Platform.LINUX.value, snmp=source.snmp)
        found.append(CrawlCandidate(target, source.name))
    return found
