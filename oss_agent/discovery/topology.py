"""The discovered topology as plain data (nodes, links, routing adjacencies), for the JSON export and
the SVG picture.

Nodes are the stored devices, plus any LLDP peer that is not a device (drawn as external), so the
picture never hides a cable. Adjacencies are the BGP sessions and OSPF neighbours each device keeps,
with the device that holds the neighbour's address when it is one of ours. Read-only: it opens its
own unit of work.
"""

from __future__ import annotations

from typing import Any

from oss_agent.domain.discovery import (
    DISCOVERED_TAG,
    AddressState,
    NeighborState,
    address_owner,
    adjacency_id,
    facing_interface,
)
from oss_agent.service_layer.unit_of_work import UnitOfWork


def load_topology(uow: UnitOfWork) -> dict[str, Any]:
    """``{"nodes": [...], "links": [...]}`` sorted by name/key, so two exports of one network are equal."""
    with uow:
        devices = uow.devices.list()
        links = uow.links.list()
        reachable = {name: row.last_error is None for name, row in uow.discovery.statuses().items()}
        neighbours = [(d, n) for d, n in uow.discovery.neighbors() if n.family == "routing"]
        addresses = uow.discovery.all_addresses()
    nodes: dict[str, dict[str, Any]] = {}
    for d in devices:
        nodes[d.name] = {
            "name": d.name,
            "host": d.host,
            "platform": d.platform,
            "role": d.role,
            "site": d.site,
            "vendor": d.vendor,
            "model": d.model,
            "os_version": d.os_version,
            "discovered": DISCOVERED_TAG in d.tags,
            "reachable": d.reachable if d.reachable is not None else reachable.get(d.name),
            "interfaces": len(d.interfaces),
        }
    for link in links:
        for end in (link.a, link.b):
            nodes.setdefault(
                end.device,
                {
                    "name": end.device,
                    "host": "",
                    "platform": "",
                    "role": "external",
                    "site": "",
                    "vendor": "",
                    "model": "",
                    "os_version": "",
                    "discovered": False,
                    "reachable": None,
                    "interfaces": 0,
                },
            )
    return {
        "nodes": [nodes[name] for name in sorted(nodes)],
        "links": [
            {
                "key": link.key,
                "a": link.a.device,
                "a_interface": link.a.interface,
                "b": link.b.device,
                "b_interface": link.b.interface,
                "source": link.source,
            }
            for link in links
        ],
        "adjacencies": [_adjacency(device, n, addresses) for device, n in neighbours],
    }


def _adjacency(device: str, n: NeighborState, addresses: dict[str, list[AddressState]]) -> dict[str, Any]:
    owner = address_owner(n.neighbor, addresses)
    return {
        "key": adjacency_id(device, n.protocol, n.neighbor),
        "device": device,
        "protocol": n.protocol,
        "neighbor": n.neighbor,
        "state": n.state,
        "up": n.is_up,
        "interface": n.local_interface or facing_interface(n.neighbor, addresses.get(device, [])),
        "peer": None if owner is None else owner[0],
        "peer_interface": None if owner is None else owner[1],
    }
