"""Fault injection for tests and demos: links, whole devices, the SNMP agent, and lossy management.

Every helper acts on a running lab found through its state file, and every "repair" helper
waits (with a deadline) until the device is back, so a test can go on right after it returns.

This host's kernel has no ``sch_netem``: :func:`set_netem` uses netem when the kernel has it;
otherwise loss is an nftables ``numgen random`` drop rule and delay is real latency added by
:mod:`lab.delay`, a relay in the device's namespace that the device's SNMP, SSH and NETCONF
traffic is redirected to (nftables NAT) and that forwards it after the delay.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lab import bringup, daemons, readiness, shell
from lab.bringup import device_paths, namespace
from lab.errors import LabError
from lab.lifecycle import load_state
from lab.model import LabOptions
from lab.secrets import LabSecrets, ensure
from lab.topology import Device, Topology, resolve

NFT_TABLE = "labfault"


@dataclass(frozen=True)
class _Lab:
    topology: Topology
    secrets: LabSecrets


def _lab(options: LabOptions) -> _Lab:
    shell.require_root()
    state = load_state(options)
    if not state or not state.get("complete"):
        raise LabError(f"no running lab under {options.state_dir}: run `oss-agent lab up` first")
    topology = resolve(state["topology"], options.mgmt_subnet, options.link_subnet, options.prefix)
    return _Lab(topology, ensure(options.secrets_dir, options.prefix))


def _device(options: LabOptions, name: str) -> tuple[_Lab, Device]:
    lab = _lab(options)
    return lab, lab.topology.device(name)


def link_down(options: LabOptions, device: str, ifname: str) -> None:
    """Take an interface down (its veth peer loses carrier too, like a cut cable)."""
    _device(options, device)
    shell.run(["ip", "-n", namespace(options, device), "link", "set", ifname, "down"])


def link_up(options: LabOptions, device: str, ifname: str, wait: bool = True) -> None:
    """Bring an interface back; with ``wait``, return once routing has reconverged."""
    lab, _ = _device(options, device)
    shell.run(["ip", "-n", namespace(options, device), "link", "set", ifname, "up"])
    if wait:
        wait_converged(options, lab.topology)


def wait_converged(options: LabOptions, topology: Topology | None = None, timeout_s: float = 30) -> None:
    """Wait until every PE reaches every other router's loopback and iBGP is established again."""
    topology = topology or _lab(options).topology
    paths = {d.name: device_paths(options, d.name) for d in topology.devices}
    readiness.wait_for("routing convergence", lambda: readiness.routes_converged(topology, paths), timeout_s)


def kill_device(options: LabOptions, device: str) -> None:
    """Power a device off: SIGKILL all its processes and take all its interfaces down."""
    _device(options, device)
    ns = namespace(options, device)
    shell.terminate(shell.netns_pids([ns]).get(ns, []), grace_s=0)
    links = shell.run(["ip", "-n", ns, "-o", "link", "show"]).stdout.splitlines()
    names = [line.split(":")[1].strip().split("@")[0] for line in links if ":" in line]
    shell.ip_batch([f"link set {n} down" for n in names if n != "lo"], netns=ns, force=True)


def revive_device(options: LabOptions, device: str, timeout_s: float = 60) -> None:
    """Power a device back on and wait until it answers and (for routers) routing has converged."""
    lab, dev = _device(options, device)
    ns = namespace(options, device)
    shell.terminate(shell.netns_pids([ns]).get(ns, []), grace_s=0)
    links = shell.run(["ip", "-n", ns, "-o", "link", "show"]).stdout.splitlines()
    names = [line.split(":")[1].strip().split("@")[0] for line in links if ":" in line]
    shell.ip_batch([f"link set {n} up" for n in names], netns=ns, force=True)
    paths = device_paths(options, device)
    # stale sockets would satisfy the readiness checks before the new daemons listen
    for stale in [*paths.root.glob("*.sock"), *paths.frr.glob("*.vty"), paths.frr / "zserv.api"]:
        stale.unlink(missing_ok=True)
    bringup.start_devices([dev], lab.topology, options, lab.secrets)
    bringup.wait_ready(lab.topology, options, lab.secrets, timeout_s, only=[device])


def stop_snmp(options: LabOptions, device: str) -> None:
    """Stop the device's snmpd only (the rest of the device keeps running)."""
    _device(options, device)
    daemons.stop("snmpd", device_paths(options, device))


def start_snmp(options: LabOptions, device: str, timeout_s: float = 20) -> None:
    """Start the device's snmpd again and wait until it answers."""
    lab, dev = _device(options, device)
    paths = device_paths(options, device)
    if not daemons.running("snmpd", paths):
        paths.agentx.unlink(missing_ok=True)
        daemons.start("snmpd", dev, namespace(options, device), paths, lab.secrets, options.run_dir / "bin")

    def missing() -> list[str]:
        answer = readiness.snmp_sysnames([dev.mgmt_host], lab.secrets.snmp_ro)
        return [] if answer.get(dev.mgmt_host) == dev.name else [device]

    readiness.wait_for(f"{device} SNMP", missing, timeout_s)


@functools.cache
def netem_available() -> bool:
    """True when the kernel offers sch_netem (probed once on a throwaway veth)."""
    ns = "labprobe-netem"
    shell.run(["ip", "netns", "add", ns], check=False)
    try:
        shell.run(["ip", "-n", ns, "link", "add", "p0", "type", "veth", "peer", "name", "p1"], check=False)
        probe = shell.run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "p0", "root", "netem",
                           "delay", "1ms"], check=False)
        return probe.returncode == 0
    finally:
        shell.run(["ip", "netns", "del", ns], check=False)


def set_netem(options: LabOptions, device: str, delay_ms: int = 0, loss_pct: float = 0.0) -> None:
    """Degrade the device's management link (traffic towards the device): delay and/or loss."""
    _device(options, device)
    clear_netem(options, device)
    if delay_ms <= 0 and loss_pct <= 0:
        return
    ns = namespace(options, device)
    if netem_available():
        args = ["delay", f"{delay_ms}ms"] if delay_ms > 0 else []
        args += ["loss", f"{loss_pct}%"] if loss_pct > 0 else []
        shell.run(["ip", "netns", "exec", ns, "tc", "qdisc", "replace", "dev", "mgmt0", "root", "netem", *args])
        return
    if delay_ms > 0:
        _start_delay_relay(options, device, delay_ms)
    if loss_pct <= 0:
        return
    if not 0 < loss_pct <= 100:
        raise LabError(f"loss_pct must be in (0, 100], got {loss_pct}")
    shell.require_binaries(["nft"])
    threshold = round(loss_pct * 100)
    match = "" if threshold >= 10000 else f"numgen random mod 10000 < {threshold} "
    rules = (f"table netdev {NFT_TABLE} {{\n chain ingress {{\n"
             f"  type filter hook ingress device mgmt0 priority 0; policy accept;\n"
             f"  {match}drop\n }}\n}}\n")
    shell.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], stdin=rules)


# service port -> relay port, per protocol (SNMP, SSH, NETCONF)
DELAY_UDP = {161: 10161}
DELAY_TCP = {22: 10022, 830: 10830}
NFT_DELAY_TABLE = "labdelay"


def _relay_pidfile(options: LabOptions, device: str) -> Path:
    return device_paths(options, device).root / "delay-relay.pid"


def _start_delay_relay(options: LabOptions, device: str, delay_ms: int) -> None:
    """Delay without netem: NAT the device's management services to :mod:`lab.delay` in its namespace."""
    _, dev = _device(options, device)
    ns = namespace(options, device)
    pidfile = _relay_pidfile(options, device)
    pidfile.unlink(missing_ok=True)
    args = [sys.executable, "-m", "lab.delay", "--delay-ms", str(delay_ms), "--upstream", dev.mgmt_host,
            "--pidfile", str(pidfile)]
    args += [arg for service, local in DELAY_UDP.items() for arg in ("--udp", f"{service}={local}")]
    args += [arg for service, local in DELAY_TCP.items() for arg in ("--tcp", f"{service}={local}")]
    log = (device_paths(options, device).root / "delay-relay.log").open("ab")
    subprocess.Popen(["ip", "netns", "exec", ns, *args], stdout=log, stderr=log, start_new_session=True)
    log.close()
    readiness.wait_for(f"{device} delay relay", lambda: [] if pidfile.exists() else [device], 15)
    rules = [f"  iifname mgmt0 udp dport {service} redirect to :{local}" for service, local in DELAY_UDP.items()]
    rules += [f"  iifname mgmt0 tcp dport {service} redirect to :{local}" for service, local in DELAY_TCP.items()]
    table = (f"table ip {NFT_DELAY_TABLE} {{\n chain prerouting {{\n"
             f"  type nat hook prerouting priority dstnat; policy accept;\n" + "\n".join(rules) + "\n }\n}\n")
    shell.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], stdin=table)


def _stop_delay_relay(options: LabOptions, device: str) -> None:
    ns = namespace(options, device)
    shell.run(["ip", "netns", "exec", ns, "nft", "delete", "table", "ip", NFT_DELAY_TABLE], check=False)
    pidfile = _relay_pidfile(options, device)
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(pidfile.read_text()), signal.SIGTERM)
    pidfile.unlink(missing_ok=True)


def clear_netem(options: LabOptions, device: str) -> None:
    """Remove any degradation from the device's management link."""
    ns = namespace(options, device)
    _stop_delay_relay(options, device)
    shell.run(["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", "mgmt0", "root"], check=False)
    shell.run(["ip", "netns", "exec", ns, "nft", "delete", "table", "netdev", NFT_TABLE], check=False)


def send_traffic(options: LabOptions, device: str, count: int = 200) -> None:
    """Send ``count`` pings across a device's first port so its interface counters move.

    Routers and CPEs ping their first link's peer; scale devices send across their swp1->swp2 pair.
    """
    _, dev = _device(options, device)
    ns = namespace(options, device)
    if dev.kind == "snmp":
        target = bringup.traffic_target(dev)
    else:
        iface = next((i for i in dev.interfaces if i.address), None)
        if iface is None or iface.peer is None:
            raise LabError(f"{device} has no addressed link to send traffic over")
        peer = _lab(options).topology.device(iface.peer.split(":")[0])
        peer_if = next(i for i in peer.interfaces if i.peer == f"{device}:{iface.name}")
        target = (peer_if.address or "").split("/")[0]
    shell.run(["ip", "netns", "exec", ns, "ping", "-q", "-n", "-i", "0", "-W", "1", "-c", str(count),
               "-s", "1000", target], check=False, timeout=60)


__all__ = [
    "clear_netem", "kill_device", "link_down", "link_up", "revive_device", "send_traffic",
    "set_netem", "start_snmp", "stop_snmp", "wait_converged",
]
