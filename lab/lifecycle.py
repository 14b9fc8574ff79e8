"""Building, inspecting and removing a lab: ``up``, ``status`` and ``down``.

``up`` records its intent in ``data_dir/lab/state.json`` *before* creating anything, so a crash
half-way still leaves ``down`` a list to work from; ``down`` also sweeps everything named after
the prefix, so it cleans up even when the state file is gone.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lab import bringup, claims, daemons, inventory, readiness, shell
from lab.bringup import device_paths, namespace, traffic_target
from lab.configs import daemons_for
from lab.errors import LabError
from lab.model import DeviceResult, DeviceStatus, DownReport, LabOptions, LabReport
from lab.secrets import LabSecrets, ensure
from lab.topology import Device, Topology, resolve

USER_MARKER = "oss-agent lab"
ETC_NETNS = Path("/etc/netns")


def load_state(options: LabOptions) -> dict[str, Any] | None:
    """The state ``up`` recorded, or None."""
    try:
        data = json.loads((options.state_dir / "state.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _save_state(options: LabOptions, state: dict[str, Any]) -> None:
    options.state_dir.mkdir(parents=True, exist_ok=True)
    (options.state_dir / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True))


def _fingerprint(topology: Topology, options: LabOptions) -> str:
    trap = f"{options.trap_host}:{options.trap_port}"
    return f"{topology.digest()}/{options.mgmt_subnet}/{options.link_subnet}/{trap}"


def up(spec: str | Path | None, options: LabOptions) -> LabReport:
    """Build the lab and wait until it is ready; a no-op when the same lab is already healthy."""
    started = time.monotonic()
    shell.require_root()
    claims.check_free(options.prefix)
    topology = resolve(spec, options.mgmt_subnet, options.link_subnet, options.prefix)
    kinds = {d.kind for d in topology.devices}
    shell.require_binaries(_binaries(kinds))
    fingerprint = _fingerprint(topology, options)
    state = load_state(options)
    reusable = state is not None and state.get("fingerprint") == fingerprint and bool(state.get("complete"))
    if reusable and all(s.healthy for s in status(options)) and _hosts_alive(topology, options):
        return _report(topology, options, started, reused=True, phases={})
    if state or shell.list_netns(options.prefix) or shell.root_links(options.prefix):
        down(options, keep_secrets=True)
    _save_state(options, {"prefix": options.prefix, "topology": topology.name, "fingerprint": fingerprint,
                          "complete": False, "inventory": str(options.inventory_path),
                          "devices": {d.name: {"namespace": namespace(options, d.name), "kind": d.kind,
                                               "mgmt_host": d.mgmt_host} for d in topology.devices},
                          "hosts": {h.name: {"namespace": namespace(options, h.name), "mgmt_host": h.mgmt_host}
                                    for h in topology.hosts}})
    phases: dict[str, float] = {}
    try:
        secrets = ensure(options.secrets_dir, options.prefix)
        if kinds & {"router", "cpe"} or topology.hosts:
            _ensure_user(secrets)
        mark = time.monotonic()
        _build_network(topology, options)
        phases["network"] = time.monotonic() - mark
        mark = time.monotonic()
        bringup.start_devices(list(topology.devices), topology, options, secrets)
        bringup.start_hosts(list(topology.hosts), options, secrets)
        phases["daemons"] = time.monotonic() - mark
        mark = time.monotonic()
        bringup.wait_ready(topology, options, secrets)
        phases["ready"] = time.monotonic() - mark
        inventory.write(options.inventory_path, inventory.build(topology, secrets))
    except BaseException:
        # leave nothing half-built behind (the daemon logs are quoted in the error already),
        # unless someone debugging the lab asked to keep the wreck
        if not os.environ.get("OSS_LAB_KEEP_FAILED"):
            down(options, keep_secrets=True)
        raise
    state = load_state(options) or {}
    state["complete"] = True
    _save_state(options, state)
    return _report(topology, options, started, reused=False, phases=phases)


def _report(topology: Topology, options: LabOptions, started: float, reused: bool,
            phases: dict[str, float]) -> LabReport:
    devices = tuple(DeviceResult(d.name, namespace(options, d.name), d.mgmt_host, d.kind, daemons_for(d))
                    for d in topology.devices)
    return LabReport(topology=topology.name, devices=devices, inventory_path=options.inventory_path,
                     elapsed_s=round(time.monotonic() - started, 3), reused=reused, phases=phases)


def _binaries(kinds: set[str]) -> list[str]:
    needed = ["ip", "unshare", "ping", "snmpd"]
    if kinds & {"router", "cpe"}:
        needed += ["lldpd", "lldpcli"]
    if "cpe" in kinds:
        needed += ["/usr/sbin/sshd", "ssh-keygen", "setcap", "setpriv", "tc", "useradd", "chpasswd"]
    if "router" in kinds:
        needed += ["/usr/lib/frr/zebra", "/usr/lib/x86_64-linux-gnu/frr/modules/bgpd_snmp.so", "vtysh",
                   "/usr/sbin/sshd", "ssh-keygen", "netconfd", "/usr/sbin/netconf-subsystem",
                   "/usr/lib/x86_64-linux-gnu/yuma/libietf-interfaces.so",
                   "/usr/lib/x86_64-linux-gnu/yuma/libietf-system.so", "useradd", "chpasswd"]
    return needed


def _hosts_alive(topology: Topology, options: LabOptions) -> bool:
    return all(daemons.running("sshd", device_paths(options, h.name)) for h in topology.hosts)


def _ensure_user(secrets: LabSecrets) -> None:
    """The SSH/NETCONF login user: vtysh needs groups frrvty (sockets) and frr (write memory)."""
    marker = f"{USER_MARKER} {secrets.ssh_user}"
    try:
        existing = pwd.getpwnam(secrets.ssh_user)
    except KeyError:
        shell.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                   "--shell", "/bin/sh", "--comment", marker, "--groups", "frrvty,frr", secrets.ssh_user])
    else:
        if existing.pw_gecos != marker:
            raise LabError(f"user {secrets.ssh_user!r} exists and was not made by the lab: choose another prefix")
    shell.run(["chpasswd"], stdin=f"{secrets.ssh_user}:{secrets.ssh_password}\n")


def _build_network(topology: Topology, options: LabOptions) -> None:
    """Namespaces, the management bridge and veths, and per-namespace addressing, in a few batches."""
    bridge = f"{options.prefix}-br0"
    gw = f"{topology.mgmt_gateway}/{topology.devices[0].mgmt_prefixlen}"
    root = [f"link add {bridge} type bridge", f"link set {bridge} up", f"addr add {gw} dev {bridge}"]
    for dev in topology.devices:
        ns = namespace(options, dev.name)
        root += [f"netns add {ns}",
                 f"link add {ns} type veth peer name mgmt0 netns {ns}",
                 f"link set {ns} master {bridge} up"]
    for host in topology.hosts:
        ns = namespace(options, host.name)
        root += [f"netns add {ns}",
                 f"link add {ns} type veth peer name mgmt0 netns {ns}",
                 f"link set {ns} master {bridge} up"]
    for link in topology.links:
        root.append(f"link add {link.a_if} netns {namespace(options, link.a)} type veth "
                    f"peer name {link.b_if} netns {namespace(options, link.b)}")
    for host in topology.hosts:
        root.append(f"link add {host.peer_if} netns {namespace(options, host.peer_device)} type veth "
                    f"peer name eth0 netns {namespace(options, host.name)}")
    shell.ip_batch(root)
    for host in topology.hosts:
        _write_etc(options, host.name, host.mgmt_host)
        cmds = ["link set lo up", f"addr add {host.mgmt_host}/{host.mgmt_prefixlen} dev mgmt0", "link set mgmt0 up",
                f"addr add {host.address} dev eth0", "link set eth0 up", f"route add default via {host.gateway}"]
        script = ("sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
                  " && exec ip -batch -")
        shell.run(shell.in_netns(namespace(options, host.name), ["sh", "-c", script]), stdin="\n".join(cmds) + "\n")
    cabled_lans = {h.peer_device for h in topology.hosts if h.peer_if == "lan0"}
    for dev in topology.devices:
        _write_etc(options, dev.name, dev.mgmt_host)
        # The lab is IPv4: without IPv6, thousands of veths send no DAD/MLD/RS and snmpd does not
        # reload an IPv6 address per port (500 scale devices otherwise kept two cores at load 270).
        sysctls = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]
        if dev.kind in ("router", "cpe"):
            sysctls.append("net.ipv4.ip_forward=1")
        script = f"sysctl -q -w {' '.join(sysctls)} && exec ip -batch -"
        shell.run(shell.in_netns(namespace(options, dev.name), ["sh", "-c", script]),
                  stdin="\n".join(_device_ip_commands(dev, dev.name in cabled_lans)) + "\n")


def _write_etc(options: LabOptions, name: str, mgmt_host: str) -> None:
    """Per-namespace /etc/hosts and resolv.conf (``ip netns exec`` bind-mounts /etc/netns/NS/*).

    Without them a daemon resolving its own hostname (lldpd does, every second) asks the host's
    DNS server through the namespace's default route; in a CPE that route leads nowhere yet and
    the lookup blocks for seconds, freezing lldpd.
    """
    etc = ETC_NETNS / namespace(options, name)
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "hosts").write_text(f"127.0.0.1 localhost\n127.0.1.1 {name}\n{mgmt_host} {name}-mgmt\n")
    (etc / "resolv.conf").write_text("# no DNS inside the lab\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n")


def _device_ip_commands(dev: Device, lan_cabled: bool = False) -> list[str]:
    """Addressing inside one namespace.

    This kernel has no ``dummy`` driver, so switch ports, and a LAN with no host on it, are veth
    pairs kept inside the namespace (both ends up, so their counters move when traffic is sent
    across). A CPE's access link gets no address and no default route: a service configures them.
    """
    cmds = ["link set lo up", f"addr add {dev.mgmt_host}/{dev.mgmt_prefixlen} dev mgmt0", "link set mgmt0 up"]
    for first in range(1, dev.ports, 2):
        cmds += [f"link add swp{first} type veth peer name swp{first + 1}",
                 f"link set swp{first} up", f"link set swp{first + 1} up"]
    for iface in dev.interfaces:
        # routers get their addresses from FRR (so `show running-config` owns them), CPEs from a service
        if iface.address and dev.kind not in ("router", "cpe"):
            cmds.append(f"addr add {iface.address} dev {iface.name}")
        cmds.append(f"link set {iface.name} up")
    if dev.kind == "snmp" and dev.ports:
        # a permanent neighbour makes traffic to the planned peer address cross swp1 -> swp2 without ARP
        target = traffic_target(dev)
        cmds.append(f"neigh add {target} lladdr 02:00:00:00:00:02 dev swp1 nud permanent")
    if dev.lan and lan_cabled:
        cmds += [f"addr add {dev.lan} dev lan0", "link set lan0 up"]
    elif dev.lan:
        cmds += ["link add lan0 type veth peer name lan0p", f"addr add {dev.lan} dev lan0",
                 "link set lan0 up", "link set lan0p up"]
    return cmds


def status(options: LabOptions) -> list[DeviceStatus]:
    """Per device: namespace present, each daemon's pid alive, ping and SNMP from the root namespace."""
    state = load_state(options)
    if not state:
        return []
    devices: dict[str, dict[str, Any]] = state.get("devices", {})
    community = ""
    ro = options.secrets_dir / "snmp_ro"
    if ro.is_file():
        community = ro.read_text().strip()
    answers = readiness.snmp_sysnames([d["mgmt_host"] for d in devices.values()], community) if community else {}
    present = set(shell.list_netns(options.prefix))
    out = []
    for name, info in devices.items():
        paths = device_paths(options, name)
        names = _daemon_names(info["kind"])
        ping = shell.run(["ping", "-c", "1", "-W", "1", "-q", info["mgmt_host"]], check=False).returncode == 0
        out.append(DeviceStatus(
            name=name, namespace=info["namespace"], mgmt_host=info["mgmt_host"],
            namespace_present=info["namespace"] in present,
            daemons={d: daemons.running(d, paths) for d in names},
            ping_ok=ping, snmp_ok=answers.get(info["mgmt_host"]) == name))
    return out


def _daemon_names(kind: str) -> tuple[str, ...]:
    probe = Device(name="x", kind=kind, role="", site="", mgmt_host="", mgmt_prefixlen=0)
    return daemons_for(probe)


def down(options: LabOptions, keep_secrets: bool = False) -> DownReport:
    """Remove every namespace, link, process and file of the lab, from state *and* by name prefix."""
    started = time.monotonic()
    shell.require_root()
    claims.check_free(options.prefix)
    state = load_state(options) or {}
    names = set(shell.list_netns(options.prefix))
    names |= {info["namespace"] for info in state.get("devices", {}).values()
              if (shell.NETNS_DIR / info["namespace"]).exists()}
    killed = _kill_all(names, options.run_dir)
    links = shell.root_links(options.prefix)
    ordered = sorted(names)
    shell.ip_batch([f"link del {link}" for link in links] + [f"netns del {ns}" for ns in ordered], force=True)
    files: list[str] = []
    for etc in sorted(ETC_NETNS.glob(f"{options.prefix}-*")) if ETC_NETNS.is_dir() else []:
        shutil.rmtree(etc, ignore_errors=True)
        files.append(str(etc))
    if ETC_NETNS.is_dir() and not any(ETC_NETNS.iterdir()):
        ETC_NETNS.rmdir()
    if options.run_dir.exists():
        shutil.rmtree(options.run_dir, ignore_errors=True)
        files.append(str(options.run_dir))
    inv = Path(state.get("inventory") or options.inventory_path)
    if inventory.is_ours(inv):
        inv.unlink()
        files.append(str(inv))
    if options.state_dir.exists():
        if keep_secrets:
            (options.state_dir / "state.json").unlink(missing_ok=True)
        else:
            shutil.rmtree(options.state_dir, ignore_errors=True)
            files.append(str(options.state_dir))
    if not keep_secrets:
        _remove_user(options.prefix)
    left = shell.list_netns(options.prefix) + shell.root_links(options.prefix)
    if left:
        raise LabError(f"down left these behind: {', '.join(left)}")
    return DownReport(namespaces=tuple(ordered), links=tuple(links), processes=killed, files=tuple(files),
                      elapsed_s=round(time.monotonic() - started, 3))


def _kill_all(namespaces: set[str], run_dir: Path, rounds: int = 10) -> int:
    """Terminate every process in the namespaces or using the run directory, scanning again until none is left.

    One scan is not enough after a killed ``up``: a daemon caught while it daemonizes forks its child after
    the scan saw only the parent, and that child would outlive ``down``.
    """
    def alive() -> list[int]:
        pids = {p for group in shell.netns_pids(namespaces).values() for p in group} | set(shell.pids_using(run_dir))
        return sorted(p for p in pids if shell.pid_alive(p))

    killed = 0
    for _ in range(rounds):
        found = alive()
        if not found:
            return killed
        killed += shell.terminate(found)
    left = alive()
    if left:
        raise LabError(f"down could not stop these processes: {', '.join(map(str, left))}")
    return killed


def _remove_user(user: str) -> None:
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return
    if entry.pw_gecos == f"{USER_MARKER} {user}":
        shell.run(["userdel", user], check=False)
        try:
            grp.getgrnam(user)
        except KeyError:
            return


def as_dict(report: LabReport | DownReport) -> dict[str, Any]:
    """A JSON-friendly view of a report (for the CLI's --json output)."""
    data = asdict(report)
    return json.loads(json.dumps(data, default=str))  # type: ignore[no-any-return]
