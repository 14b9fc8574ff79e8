"""A real network lab in Linux network namespaces: FRR, net-snmp, OpenSSH+vtysh, yuma123 NETCONF, lldpd.

The public API is ``up``, ``status`` and ``down`` with :class:`LabOptions`; the lab never imports
the agent, it only writes an inventory file the agent reads. Importing this package has no side
effects: nothing is created until ``up`` is called.
"""

from __future__ import annotations

from pathlib import Path

from lab import lifecycle
from lab.errors import LabError, LabTimeoutError
from lab.model import DeviceResult, DeviceStatus, DownReport, LabOptions, LabReport

__all__ = [
    "DeviceResult",
    "DeviceStatus",
    "DownReport",
    "LabError",
    "LabOptions",
    "LabReport",
    "LabTimeoutError",
    "down",
    "status",
    "up",
]


def up(topology: str | Path | None, options: LabOptions) -> LabReport:
    """Build the lab (None -> "default"; "scale:N"; or a YAML path) and wait until it is ready.

    On a running lab this is a no-op when the topology and options are unchanged, and a clean
    rebuild otherwise.
    """
    return lifecycle.up(topology, options)


def down(options: LabOptions) -> DownReport:
    """Remove everything the lab made, also after a crash or a half-finished ``up``."""
    return lifecycle.down(options)


def status(options: LabOptions) -> list[DeviceStatus]:
    """Health of each device: daemons alive, management ping and SNMP answering."""
    return lifecycle.status(options)
