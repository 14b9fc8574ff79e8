"""Polling for readiness: every wait has a deadline and re-checks the real condition.

The lab never sleeps a fixed time: SNMP must answer, SSH must greet, NETCONF must say hello,
each PE must have a route to the other PE's loopback, and LLDP must see every cabled neighbour.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from lab import shell
from lab.configs import DevicePaths
from lab.errors import LabError, LabTimeoutError
from lab.topology import Device, Topology

SYS_NAME = "1.3.6.1.2.1.1.5.0"


def wait_for(what: str, check: Callable[[], list[str]], timeout_s: float, interval_s: float = 0.1) -> None:
    """Poll ``check`` (which returns what is still missing) until it returns nothing or time runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        missing = check()
        if not missing:
            return
        if time.monotonic() >= deadline:
            shown = ", ".join(missing[:10]) + (f" (+{len(missing) - 10} more)" if len(missing) > 10 else "")
            raise LabTimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}: still missing {shown}")
        time.sleep(interval_s)


async def _sysnames(hosts: Sequence[str], community: str, timeout_s: float) -> dict[str, str | None]:
    # Imported here: pysnmp takes ~0.3 s to import and most lab calls (down, faults) never need it.
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        get_cmd,
    )

    engine = SnmpEngine()
    limit = asyncio.Semaphore(64)

    async def one(host: str) -> tuple[str, str | None]:
        async with limit:
            try:
                target = await UdpTransportTarget.create((host, 161), timeout=timeout_s, retries=0)
                err, status, _, binds = await get_cmd(
                    engine, CommunityData(community, mpModel=1),  # noqa: S508 (the lab speaks v2c by design)
                    target, ContextData(),
                    ObjectType(ObjectIdentity(SYS_NAME)), lookupMib=False)
            except Exception:  # any transport failure just means "not answering yet"
                return host, None
            if err or status:
                return host, None
            return host, str(binds[0][1])

    try:
        return dict(await asyncio.gather(*(one(h) for h in hosts)))
    finally:
        engine.close_dispatcher()


def snmp_sysnames(hosts: Sequence[str], community: str, timeout_s: float = 1.0) -> dict[str, str | None]:
    """sysName.0 of each host over SNMP v2c (None where no answer)."""
    return asyncio.run(_sysnames(hosts, community, timeout_s))


def tcp_banner(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """True when an SSH server greets on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def unix_problem(path: Path) -> str | None:
    """Why nothing accepts connections on the Unix socket ``path`` (None when something does).

    A listener that is alive but not accepting (its backlog full) is told apart from one that is
    gone: yuma123's netconfd, single-threaded, stops accepting while it is blocked writing to a
    NETCONF client that does not read its replies.
    """
    if not path.exists():
        return "no socket"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect(str(path))
        except (BlockingIOError, TimeoutError):
            return "alive but not accepting: its backlog is full"
        except ConnectionRefusedError:
            return "nothing listens"
        except OSError as exc:
            return exc.strerror or type(exc).__name__
    return None


def routes_converged(topology: Topology, paths: dict[str, DevicePaths]) -> list[str]:
    """What is still missing for routing: PE->other PE loopback routes and established iBGP sessions."""
    missing: list[str] = []
    routers = [d for d in topology.devices if d.kind == "router"]
    for dev in routers:
        try:
            routes = json.loads(_vtysh_json(paths[dev.name], "show ip route ospf json"))
            bgp = json.loads(_vtysh_json(paths[dev.name], "show bgp ipv4 unicast summary json"))
        except (ValueError, LabError):
            missing.append(f"{dev.name}: FRR not answering")
            continue
        for other in routers:
            if other.name != dev.name and other.loopback not in routes:
                missing.append(f"{dev.name}: route to {other.name} loopback {other.loopback}")
        peers = bgp.get("peers", {}) if isinstance(bgp, dict) else {}
        for addr in topology.ibgp_peers:
            if addr == (dev.loopback or "").split("/")[0]:
                continue
            if peers.get(addr, {}).get("state") != "Established":
                missing.append(f"{dev.name}: iBGP to {addr}")
    return missing


def _vtysh_json(paths: DevicePaths, command: str) -> str:
    return shell.run(["vtysh", "--vty_socket", str(paths.frr), "-c", command], timeout=10).stdout or "{}"


def lldp_missing(devices: Sequence[Device], paths: dict[str, DevicePaths]) -> list[str]:
    """Cabled neighbours that a device's lldpd has not seen yet."""
    missing: list[str] = []
    for dev in devices:
        # hosts run no lldpd: a router port cabled to one has no neighbour to wait for
        expected = {i.name: i.peer.split(":")[0] for i in dev.interfaces if i.peer and i.kind != "upstream"}
        if not expected:
            continue
        proc = shell.run(["lldpcli", "-u", str(paths[dev.name].lldpd_socket), "-f", "json",
                          "show", "neighbors"], check=False, timeout=10)
        seen = parse_lldp_neighbors(proc.stdout) if proc.returncode == 0 else {}
        missing += [f"{dev.name}:{i} -> {peer}" for i, peer in expected.items() if seen.get(i) != peer]
    return missing


def parse_lldp_neighbors(text: str) -> dict[str, str]:
    """{local ifname: neighbour system name} from ``lldpcli -f json show neighbors``."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    ifaces = data.get("lldp", {}).get("interface", [])
    if isinstance(ifaces, dict):  # lldpcli uses a dict for one interface, a list of dicts for several
        ifaces = [ifaces]
    out: dict[str, str] = {}
    for entry in ifaces:
        for ifname, info in entry.items():
            chassis = info.get("chassis", {})
            names = list(chassis.keys())
            if names:
                out[ifname] = names[0]
    return out
