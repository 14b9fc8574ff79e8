"""The discovered topology as plain data (nodes and links), for the JSON export and the SVG picture.

Nodes are the stored devices, plus any LLDP peer that is not a device (drawn as external), so the
picture never hides a cable. Read-only: it opens its own unit of work.
"""

from __future__ import annotations

from typing import Any

from oss_agent.domain.discovery import DISCOVERED_TAG
from oss_agent.service_layer.unit_of_work import UnitOfWork


def load_topology(uow: UnitOfWork) -> dict[str, Any]:
    """``{"nodes": [...], "links": [...]}`` sorted by name/key, so two exports of one network are equal."""
    with uow:
        devices = uow.devices.list()
        links = uow.links.list()
        reachable = {name: row.last_error is None for name, row in uow.discovery.statuses().items()}
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
            "reachable": reachable.get(d.name),
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
    }
