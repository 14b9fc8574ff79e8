"""SNMPv3 polling with every auth/priv pair against a real net-snmp snmpd on loopback.

The key extension of AES-192/256 differs between agents: net-snmp's AES-192/AES-256 follow the
Blumenthal draft, its AES-192-C/AES-256-C (and Cisco) the Reeder draft. Our ``aes192``/``aes256``
and ``aes192c``/``aes256c`` must reach the matching agent users.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from adapters import DeviceTarget, DeviceTimeoutError, Secret, SnmpAccess
from adapters.snmp import SnmpDriver, SnmpManager, mib

# (user, net-snmp auth, net-snmp priv, our auth, our priv)
USERS = [
    ("umd5", "MD5", None, "md5", None),
    ("usha", "SHA", "AES", "sha", "aes"),
    ("u224", "SHA-224", "AES", "sha224", "aes128"),
    ("u256", "SHA-256", "AES-256", "sha256", "aes256"),
    ("u512", "SHA-512", "AES-192", "sha512", "aes192"),
    # a digest shorter than the AES key: here the two key extensions differ
    ("usha256", "SHA", "AES-256", "sha", "aes256"),
    ("umd5192", "MD5", "AES-192", "md5", "aes192"),
    ("usha256c", "SHA", "AES-256-C", "sha", "aes256c"),
    ("usha192c", "SHA", "AES-192-C", "sha", "aes192c"),
]


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    binary = shutil.which("snmpd") or "/usr/sbin/snmpd"
    root = tmp_path_factory.mktemp("snmpd")
    lines = []
    for user, auth, priv, _, _ in USERS:
        lines.append(f"createUser {user} {auth} authpass123" + (f" {priv} privpass123" if priv else ""))
        lines.append(f"rouser {user} {'priv' if priv else 'auth'}")
    (root / "snmpd.conf").write_text("\n".join(lines) + "\nsysName usm-test\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [binary, "-f", "-Lf", str(root / "log"), "-C", "-c", str(root / "snmpd.conf"), "-I", "-smux",
         f"udp:127.0.0.1:{port}"],
        env={"SNMP_PERSISTENT_DIR": str(root / "persist"), "MIBS": "", "PATH": "/usr/sbin:/usr/bin"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while "NET-SNMP version" not in ((root / "log").read_text() if (root / "log").exists() else ""):
            assert process.poll() is None and time.monotonic() < deadline, "snmpd did not start"
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def target(port: int, user: str, auth: str, priv: str | None, timeout_s: float = 2.0) -> DeviceTarget:
    access = SnmpAccess(
        "v3", port, timeout_s, 1, user=user, auth_protocol=auth,  # type: ignore[arg-type]
        auth_key=Secret("authpass123"), priv_protocol=priv,  # type: ignore[arg-type]
        priv_key=Secret("privpass123") if priv else None,
    )
    return DeviceTarget("usm-test", "127.0.0.1", "linux", snmp=access)


async def sys_name(device: DeviceTarget) -> bytes:
    manager = SnmpManager()
    try:
        value = (await SnmpDriver(device, manager).get([mib.SYS_NAME]))[0][2]
        assert isinstance(value, bytes)
        return value
    finally:
        manager.close()


@pytest.mark.parametrize(("user", "our_auth", "our_priv"), [(u[0], u[3], u[4]) for u in USERS])
def test_each_auth_and_priv_protocol_reaches_net_snmp(snmpd: int, user: str, our_auth: str, our_priv: str) -> None:
    assert asyncio.run(sys_name(target(snmpd, user, our_auth, our_priv))) == b"usm-test"


def test_the_other_aes_key_extension_gets_no_answer(snmpd: int) -> None:
    """Blumenthal keys against a Reeder user: net-snmp cannot decrypt the request and stays silent."""
    with pytest.raises(DeviceTimeoutError):
        asyncio.run(sys_name(target(snmpd, "usha192c", "sha", "aes192", timeout_s=0.5)))

