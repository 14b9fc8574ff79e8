"""Starting devices and waiting until they are ready; shared by ``up`` and the fault helpers.

Daemons start in dependency order and every wait polls a real condition with a deadline.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from lab import daemons, readiness, shell
from lab.configs import GET_INTERFACE_IPV4, DevicePaths, daemons_for
from lab.errors import LabError
from lab.model import LabOptions
from lab.secrets import LabSecrets
from lab.topology import Device, Host, Topology

SYSTEM_DIRS = (Path("/run/sshd"), Path("/run/lldpd"))  # daemons insist on these; shared, left in place


def namespace(options: LabOptions, device: str) -> str:
    """The network namespace of a device: ``prefix-name``."""
    return f"{options.prefix}-{device}"


def device_paths(options: LabOptions, device: str) -> DevicePaths:
    """Runtime paths of a device (configs, sockets, pid files, logs)."""
    return DevicePaths(options.run_dir / device)


def traffic_target(dev: Device) -> str:
    """The address whose traffic leaves a scale device on swp1 and arrives on swp2 (counters move)."""
    planned = dev.interfaces[0].planned_address if dev.interfaces else None
    if not planned:
        raise LabError(f"{dev.name} has no traffic port")
    return planned.split("/")[0]


def start_devices(devices: list[Device], topology: Topology, options: LabOptions, secrets: LabSecrets) -> None:
    """Write configs and start the daemons of ``devices``, in dependency order.

    snmpd first (it is the AgentX master the others plug into), then zebra (the other FRR
    daemons connect to it), then everything else; frr.conf is pushed once FRR listens.
    """
    run_dir = options.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o755)
    bin_dir = run_dir / "bin"
    bin_dir.mkdir(exist_ok=True)
    shell.install_executable(bin_dir / "get-interface-ipv4", GET_INTERFACE_IPV4)
    for directory in SYSTEM_DIRS:
        directory.mkdir(mode=0o755, exist_ok=True)
    routers = [d for d in devices if d.kind == "router"]
    host_key = ensure_host_key(run_dir) if any(d.kind in ("router", "cpe") for d in devices) else run_dir
    if any(d.kind == "cpe" for d in devices):
        daemons.install_shell_bin(run_dir)
    trap = (options.trap_host or topology.mgmt_gateway, options.trap_port)
    paths = {d.name: device_paths(options, d.name) for d in devices}
    for dev in devices:
        daemons.write_configs(dev, topology, secrets, paths[dev.name], trap, host_key)

    def start_all(group: list[Device], names: tuple[str, ...]) -> None:
        # launch everything first, then reap: 100 snmpd start in parallel, not one after another
        launched = [(daemons.launch(name, dev, namespace(options, dev.name), paths[dev.name], secrets, bin_dir),
                     name, dev) for dev in group for name in names if name in daemons_for(dev)]
        for proc, name, dev in launched:
            daemons.reap(proc, name, dev, paths[dev.name])

    start_all(devices, ("snmpd",))
    readiness.wait_for("AgentX sockets", lambda: [d.name for d in devices
                                                  if not paths[d.name].agentx.exists()], 30)
    start_all(routers, ("zebra",))
    readiness.wait_for("zebra", lambda: [d.name for d in routers
                                         if not (paths[d.name].frr / "zebra.vty").exists()], 30)
    start_all(devices, ("staticd", "ospfd", "bgpd", "lldpd", "netconfd", "sshd"))
    frr_sockets = ("staticd.vty", "ospfd.vty", "bgpd.vty")
    readiness.wait_for("FRR daemons", lambda: [f"{d.name}/{s}" for d in routers for s in frr_sockets
                                               if not (paths[d.name].frr / s).exists()], 30)
    for dev in routers:
        daemons.load_frr_config(paths[dev.name])


def ensure_host_key(run_dir: Path) -> Path:
    """The lab's one SSH host key (every sshd of the lab presents it)."""
    host_key = run_dir / "ssh_host_ed25519_key"
    if not host_key.exists():
        shell.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)])
    return host_key


def start_hosts(hosts: list[Host], options: LabOptions, secrets: LabSecrets) -> None:
    """Start each host's sshd (a host runs nothing else) and wait until it greets."""
    if not hosts:
        return
    run_dir = options.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o755)
    host_key = ensure_host_key(run_dir)
    daemons.install_shell_bin(run_dir)
    launched = []
    for host in hosts:
        paths = device_paths(options, host.name)
        daemons.write_host_configs(host.name, secrets, paths, host_key)
        cmd = shell.in_netns(namespace(options, host.name),
                             ["/usr/sbin/sshd", "-f", str(paths.sshd_conf), "-E", str(paths.log("sshd"))],
                             hostname=host.name)
        launched.append((shell.spawn(cmd, paths.log("sshd.start")), host, paths))
    for proc, host, paths in launched:
        if proc.wait(timeout=30) != 0:
            raise LabError(f"host {host.name}: sshd exited with {proc.returncode}"
                           f"{daemons.tail(paths.log('sshd.start'))}{daemons.tail(paths.log('sshd'))}")
    readiness.wait_for("hosts' SSH", lambda: [h.name for h in hosts if not readiness.tcp_banner(h.mgmt_host, 22)], 30)


def wait_ready(topology: Topology, options: LabOptions, secrets: LabSecrets, timeout_s: float = 60,
               only: Collection[str] | None = None) -> None:
    """Wait until the devices answer and the network has converged.

    ``only`` narrows the per-device checks (SNMP, SSH, NETCONF, LLDP) to those devices and the
    devices cabled to them, as after reviving one device; routing convergence is always checked
    network-wide. Without it every device is checked.
    """
    paths = {d.name: device_paths(options, d.name) for d in topology.devices}
    scope = set(only) if only is not None else {d.name for d in topology.devices}
    cabled = scope | {i.peer.split(":")[0] for d in topology.devices if d.name in scope for i in d.interfaces
                      if i.peer}
    hosts = {d.mgmt_host: d.name for d in topology.devices if d.name in scope}

    def snmp_missing() -> list[str]:
        names = readiness.snmp_sysnames(list(hosts), secrets.snmp_ro)
        return [f"{hosts[h]} (sysName {n!r})" for h, n in names.items() if n != hosts[h]]

    readiness.wait_for("SNMP answers", snmp_missing, timeout_s)
    routers = [d for d in topology.devices if d.kind == "router" and d.name in scope]

    cpes = [d for d in topology.devices if d.kind == "cpe" and d.name in scope]

    def management_missing() -> list[str]:
        missing = [f"{d.name}:{p}" for d in routers for p in (22, 830) if not readiness.tcp_banner(d.mgmt_host, p)]
        missing += [f"{d.name}:22" for d in cpes if not readiness.tcp_banner(d.mgmt_host, 22)]
        for dev in routers:
            problem = readiness.unix_problem(paths[dev.name].ncx_socket)
            if problem is not None:
                missing.append(f"{dev.name}:netconfd ({problem})")
        return missing

    readiness.wait_for("SSH and NETCONF", management_missing, timeout_s)
    readiness.wait_for("routing convergence", lambda: readiness.routes_converged(topology, paths), timeout_s)
    lldp_devices = [d for d in topology.devices if d.kind in ("router", "cpe") and d.name in cabled]
    readiness.wait_for("LLDP neighbours", lambda: readiness.lldp_missing(lldp_devices, paths), timeout_s)
