"""Options and reports of the lab's public API.

They are frozen dataclasses so the CLI can print them and tests can compare them without
caring how the lab built anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class LabOptions:
    """Where the lab keeps its state and how it names and addresses what it builds.

    The prefix is the lab's identity on the host: namespaces, veths, the bridge, the runtime
    directory and the login user all derive from it, so ``down`` can find leftovers even when
    the state files are gone.
    """

    data_dir: Path
    inventory_path: Path
    trap_host: str | None = None
    trap_port: int = 162
    prefix: str = "oss"
    mgmt_subnet: str = "198.51.100.0/24"
    link_subnet: str = "198.18.0.0/15"

    @property
    def state_dir(self) -> Path:
        """The lab's own directory under the agent's data directory."""
        return self.data_dir / "lab"

    @property
    def secrets_dir(self) -> Path:
        """Generated credentials, one owner-only file each."""
        return self.state_dir / "secrets"

    @property
    def run_dir(self) -> Path:
        """Sockets, pid files and daemon configs.

        They live under /run, not under data_dir, because unprivileged daemons (frr, the SSH
        user's vtysh, netconf-subsystem) must traverse the path and Unix socket paths must stay
        under 108 bytes; a pytest temp dir satisfies neither.
        """
        return Path("/run") / f"{self.prefix}-lab"


@dataclass(frozen=True)
class DeviceResult:
    """What ``up`` did for one device."""

    name: str
    namespace: str
    mgmt_host: str
    kind: str
    daemons: tuple[str, ...]


@dataclass(frozen=True)
class LabReport:
    """The outcome of ``up``: the devices built, whether anything had to be done, and how long it took."""

    topology: str
    devices: tuple[DeviceResult, ...]
    inventory_path: Path
    elapsed_s: float
    reused: bool = False
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DownReport:
    """The outcome of ``down``: what was removed (empty tuples when there was nothing to remove)."""

    namespaces: tuple[str, ...]
    links: tuple[str, ...]
    processes: int
    files: tuple[str, ...]
    elapsed_s: float


@dataclass(frozen=True)
class DeviceStatus:
    """Health of one device as seen from the root namespace."""

    name: str
    namespace: str
    mgmt_host: str
    namespace_present: bool
    daemons: dict[str, bool]
    ping_ok: bool
    snmp_ok: bool

    @property
    def healthy(self) -> bool:
        """True when the namespace exists, every daemon runs and management answers."""
        return self.namespace_present and all(self.daemons.values()) and self.ping_ok and self.snmp_ok
