"""Per-lab generated credentials.

Each secret is one owner-only file in an owner-only directory, so the inventory can point at
it with ``{file: PATH}`` and nothing secret ever lands in a tracked file or on a terminal.
A lab keeps its secrets across rebuilds (an agent that already read them keeps working).
"""

from __future__ import annotations

import os
import secrets as _random
import string
from dataclasses import dataclass
from pathlib import Path

NAMES = ("ssh_password", "snmp_ro", "snmp_rw", "snmp_v3_auth", "snmp_v3_priv")
V3_USER = "ossv3"
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class LabSecrets:
    """The credentials of one lab; ``repr`` hides the values so a traceback cannot leak them."""

    directory: Path
    ssh_user: str
    ssh_password: str
    snmp_ro: str
    snmp_rw: str
    v3_user: str
    v3_auth: str
    v3_priv: str

    def __repr__(self) -> str:
        return f"LabSecrets(directory={self.directory!s}, ssh_user={self.ssh_user}, values=<hidden>)"

    def path(self, name: str) -> Path:
        """The file holding secret ``name`` (one of NAMES)."""
        return self.directory / name


def _token(length: int) -> str:
    return "".join(_random.choice(_ALPHABET) for _ in range(length))


def ensure(directory: Path, ssh_user: str) -> LabSecrets:
    """Load the lab's secrets, generating any that are missing (0600 files in a 0700 directory)."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    values: dict[str, str] = {}
    for name in NAMES:
        path = directory / name
        if not path.is_file() or not path.read_text().strip():
            # SNMP v3 keys must be at least 8 characters; 20 is comfortably above every minimum.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(_token(20) + "\n")
        path.chmod(0o600)
        values[name] = path.read_text().strip()
    return LabSecrets(
        directory=directory, ssh_user=ssh_user, ssh_password=values["ssh_password"],
        snmp_ro=values["snmp_ro"], snmp_rw=values["snmp_rw"], v3_user=V3_USER,
        v3_auth=values["snmp_v3_auth"], v3_priv=values["snmp_v3_priv"],
    )
