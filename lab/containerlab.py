"""containerlab's ``topology-data.json`` -> the agent's inventory (a pure function, no containerlab needed).

``containerlab deploy`` writes ``clab-<name>/topology-data.json``: the lab name, the
management network and, per node, its kind, image, management address and labels. The
converter keeps the agent's inventory format identical to what the namespace lab writes, so
the agent cannot tell the two apart. What a node offers (SSH, SNMP) comes from ``oss-*``
labels, because the stock FRR image runs neither sshd nor snmpd.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.errors import LabError

CORE_ROLES = ("pe", "p")


def to_inventory(data: dict[str, Any], secrets_dir: Path, username: str = "oss") -> dict[str, Any]:
    """Build the inventory dict from parsed topology-data.json; LabError when the data is not usable."""
    nodes = data.get("nodes")
    if not isinstance(nodes, dict) or not nodes:
        raise LabError("topology-data.json has no nodes: is it containerlab's topology data file?")

    def ref(name: str) -> dict[str, str]:
        return {"file": str(secrets_dir / name)}

    groups: dict[str, dict[str, Any]] = {}
    devices = []
    for key, node in nodes.items():
        devices.append(_device(str(key), node, groups))
    return {
        "defaults": {
            "site": str(data.get("name", "lab")),
            "tags": ["lab", "containerlab"],
            "snmp": {"version": "v2c", "port": 161, "community": ref("snmp_ro"),
                     "write_community": ref("snmp_rw")},
            "ssh": {"port": 22, "username": username, "password": ref("ssh_password")},
            "netconf": {"port": 830, "username": username, "password": ref("ssh_password")},
        },
        "groups": groups,
        "devices": devices,
    }


def _device(key: str, node: dict[str, Any], groups: dict[str, dict[str, Any]]) -> dict[str, Any]:
    labels: dict[str, str] = {str(k): str(v) for k, v in (node.get("labels") or {}).items()}
    host = node.get("mgmt-ipv4-address")
    if not host:
        raise LabError(f"node {key} has no mgmt-ipv4-address (was the lab deployed?)")
    image = str(node.get("image", ""))
    platform = labels.get("oss-platform") or ("frr" if "frrouting/frr" in image else "linux")
    role = labels.get("oss-role", "router" if platform == "frr" else "host")
    entry: dict[str, Any] = {"name": str(node.get("shortname") or key), "host": str(host),
                             "platform": platform, "site": labels.get("oss-site", "lab")}
    if role in CORE_ROLES:
        groups.setdefault(role, {"role": role})
        entry["groups"] = [role]
    else:
        entry["role"] = role
    entry["tags"] = ["lab", "containerlab"]
    if labels.get("oss-ssh", "false").lower() != "true":
        entry["ssh"] = None
        entry["netconf"] = None
    if labels.get("oss-snmp", "false").lower() != "true":
        entry["snmp"] = None
    return entry
