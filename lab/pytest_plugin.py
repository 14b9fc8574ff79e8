"""pytest plugin: a session-wide lab, built once, torn down at the end even when tests fail.

Enable it with ``-p lab.pytest_plugin`` or ``pytest_plugins = ["lab.pytest_plugin"]`` in the
root conftest. The lab needs root; without it the fixture *fails* (a skipped lab test would
count as passing, hiding that nothing was proven).

The session lab uses its own prefix and management subnet, so a developer's lab started with
``oss-agent lab up`` (prefix ``oss``, 198.51.100.0/24) keeps running undisturbed. The session
claims its prefix (``lab.claims``): a second session on the same prefix fails at once instead of
tearing this one's lab down.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml

from lab import claims
from lab import inventory as inventory_mod
from lab.lifecycle import down, up
from lab.model import LabOptions, LabReport
from lab.secrets import LabSecrets, ensure

# Overridable so two test sessions on one host (two developers, or CI beside a dev lab) never collide.
SESSION_PREFIX = os.environ.get("OSS_LAB_TEST_PREFIX", "osst")
# Not 203.0.113.0/24: on this workplace the package registries resolve to 203.0.113.80, and a lab
# bridge in that range would hijack their route while tests run.
SESSION_MGMT = os.environ.get("OSS_LAB_TEST_MGMT_SUBNET", "100.64.0.0/24")


@dataclass(frozen=True)
class LabHandle:
    """What a lab test needs: how the lab was built, what it reported, its inventory and secrets."""

    options: LabOptions
    report: LabReport
    inventory: dict[str, Any]
    secrets: LabSecrets
    snmp_v3: dict[str, Any]

    def device(self, name: str) -> dict[str, Any]:
        """The inventory entry of device ``name``."""
        for entry in self.inventory["devices"]:
            if entry["name"] == name:
                return dict(entry)
        raise KeyError(name)

    def host(self, name: str) -> str:
        """The management address of device ``name``."""
        return str(self.device(name)["host"])

    @property
    def trap_address(self) -> tuple[str, int]:
        """Where the lab's snmpd agents send traps (bind a receiver here)."""
        assert self.options.trap_host is not None
        return self.options.trap_host, self.options.trap_port


def free_udp_port() -> int:
    """A UDP port nobody uses right now (the trap receiver binds it later on the bridge address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("0.0.0.0", 0))  # noqa: S104 (probing for a free port, closed at once)
        return int(sock.getsockname()[1])


def require_root() -> None:
    """Fail (never skip) when not root: the lab tests are part of the normal run."""
    if os.geteuid() != 0:
        pytest.fail("the lab tests need root (network namespaces, veths, daemons on ports 22/161/830); "
                    "run pytest as root, as CI does", pytrace=False)


def session_options(base: Path) -> LabOptions:
    """Options of the session lab, under a pytest temp dir."""
    gateway = SESSION_MGMT.split("/")[0].rsplit(".", 1)[0] + ".1"
    return LabOptions(data_dir=base / "data", inventory_path=base / "data" / "inventory.yaml",
                      trap_host=gateway, trap_port=free_udp_port(), prefix=SESSION_PREFIX,
                      mgmt_subnet=SESSION_MGMT)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    """The default topology, up for the whole session and removed at its end."""
    require_root()
    options = session_options(tmp_path_factory.mktemp("lab"))
    try:  # held until this session ends: another session's up or down of this prefix is refused
        claims.claim(options.prefix)
    except claims.LabBusyError as exc:
        pytest.fail(f"{exc}. Give this test run a lab of its own: OSS_LAB_TEST_PREFIX, OSS_LAB_TEST_MGMT_SUBNET "
                    "(and OSS_LAB_TEST_SPARE_SUBNETS, OSS_LAB_TEST_PERF_SUBNET)", pytrace=False)
    cleaned = False

    def cleanup() -> None:
        nonlocal cleaned
        if not cleaned:
            cleaned = True
            down(options)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        cleanup()
        raise SystemExit(128 + signum)

    atexit.register(cleanup)
    previous = signal.getsignal(signal.SIGTERM)
    if previous in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, on_signal)
    try:
        report = up("default", options)
        data = yaml.safe_load(options.inventory_path.read_text())
        secrets = ensure(options.secrets_dir, options.prefix)
        yield LabHandle(options=options, report=report, inventory=data, secrets=secrets,
                        snmp_v3=inventory_mod.v3_access(secrets))
    finally:
        cleanup()
        claims.release(options.prefix)
        atexit.unregister(cleanup)
        if previous in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
