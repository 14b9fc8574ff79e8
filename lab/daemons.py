"""Writing a device's config files and starting or stopping its daemons.

Each daemon runs inside the device's namespace under its own hostname, with private paths
(pid files, sockets, persistent dirs) so many copies coexist on one host. Daemons that fork
(snmpd, sshd, FRR with ``-d``) write their own pid files; foreground ones (lldpd, netconfd)
are spawned detached and their pid recorded by us.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from lab import configs, shell
from lab.configs import FRR_DAEMONS, DevicePaths
from lab.errors import LabError
from lab.secrets import LabSecrets
from lab.topology import Device, Topology

FRR_BIN = Path("/usr/lib/frr")
SHELL_BIN = "shell-bin"  # under the run directory: lab-shell and capability-bearing copies of ip and tc
FRR_SNMP = ("zebra", "ospfd", "bgpd")


def write_configs(device: Device, topology: Topology, secrets: LabSecrets, paths: DevicePaths,
                  trap: tuple[str, int], host_key: Path) -> None:
    """Create the device's runtime directory and every config file its daemons read."""
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o755)
    _write(paths.snmpd_conf, configs.snmpd_conf(device, secrets, paths, *trap), 0o600)
    paths.snmp_persist.mkdir(mode=0o700, exist_ok=True)
    paths.log("snmpd").touch()
    if device.kind in ("router", "cpe"):
        _write(paths.lldpd_conf, configs.lldpd_conf(device), 0o644)
    if device.kind == "cpe":
        shell_bin = host_key.parent / SHELL_BIN
        _write(paths.sshd_conf, configs.shell_sshd_conf(device.name, secrets, paths, host_key, shell_bin), 0o644)
    if device.kind != "router":
        return
    paths.frr.mkdir(exist_ok=True)
    shutil.chown(paths.frr, "frr", "frr")
    paths.frr.chmod(0o775)
    _write(paths.frr / "frr.conf", configs.frr_conf(device, topology, paths.frr / "frr.log"), 0o640)
    _write(paths.frr / "vtysh.conf", "service integrated-vtysh-config\n", 0o640)
    for name in ("frr.conf", "vtysh.conf"):
        shutil.chown(paths.frr / name, "frr", "frr")
    paths.snmp_client_conf.mkdir(exist_ok=True)
    for app in ("snmp", "frr", *FRR_DAEMONS):
        _write(paths.snmp_client_conf / f"{app}.conf", configs.snmp_client_conf(paths), 0o644)
    _write(paths.sshd_conf, configs.sshd_conf(device, secrets, paths, host_key), 0o644)
    (paths.yuma_home / "data").mkdir(parents=True, exist_ok=True)
    startup = paths.yuma_home / "data" / "startup-cfg.xml"
    if not startup.exists():  # a revived router keeps what netconfd saved there
        _write(startup, configs.netconf_startup(device), 0o644)


def install_shell_bin(run_dir: Path) -> Path:
    """The login shell of CPEs and hosts, and copies of ip and tc carrying cap_net_admin (for CPEs)."""
    directory = run_dir / SHELL_BIN
    directory.mkdir(mode=0o755, exist_ok=True)
    shell.install_executable(directory / "lab-shell", configs.LAB_SHELL)
    for tool in ("ip", "tc"):
        copy = directory / tool
        if not copy.exists():
            found = shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin")
            if found is None:
                raise LabError(f"{tool} not found (Debian package iproute2)")
            shutil.copy2(found, copy)
            shell.run(["setcap", "cap_net_admin+ep", str(copy)])
    return directory


def write_host_configs(name: str, secrets: LabSecrets, paths: DevicePaths, host_key: Path) -> None:
    """A host's runtime directory and sshd_config (a host runs sshd only)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o755)
    shell_bin = host_key.parent / SHELL_BIN
    _write(paths.sshd_conf, configs.shell_sshd_conf(name, secrets, paths, host_key, shell_bin), 0o644)


def _write(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(mode)


def command(daemon: str, device: Device, paths: DevicePaths, secrets: LabSecrets) -> list[str]:
    """The command line that starts ``daemon`` for ``device`` (before namespace wrapping)."""
    if daemon == "snmpd":
        # -I -smux: SMUX would be a second listener nobody uses; pid path absolute (snmpd chdirs to /)
        return ["snmpd", "-C", "-c", str(paths.snmpd_conf), "-p", str(paths.pid("snmpd")),
                "-Lf", str(paths.log("snmpd")), "-I", "-smux"]
    if daemon in FRR_DAEMONS:
        cmd = [str(FRR_BIN / daemon), "-d", "-u", "frr", "-g", "frr", "-i", str(paths.pid(daemon)),
               "-z", str(paths.frr / "zserv.api"), "--vty_socket", str(paths.frr), "-f", "/dev/null",
               "-A", "127.0.0.1", "-P", "0"]
        return cmd + (["-M", "snmp"] if daemon in FRR_SNMP else [])
    if daemon == "lldpd":
        return ["lldpd", "-d", "-I", "eth*", "-m", device.mgmt_host, "-u", str(paths.lldpd_socket),
                "-x", "-X", str(paths.agentx), "-O", str(paths.lldpd_conf)]
    if daemon == "netconfd":
        return ["netconfd", f"--ncxserver-sockname={paths.ncx_socket}", "--port=830",
                f"--superuser={secrets.ssh_user}", "--with-startup=true", f"--yuma-home={paths.yuma_home}",
                "--module=ietf-interfaces", "--module=ietf-system", f"--log={paths.log('netconfd')}",
                "--log-level=warn"]
    if daemon == "sshd":
        sshd = ["/usr/sbin/sshd", "-f", str(paths.sshd_conf), "-E", str(paths.log("sshd"))]
        # a CPE is configured by its (unprivileged) login user through capability-bearing ip and tc
        return ["setpriv", "--inh-caps", "+net_admin", *sshd] if device.kind == "cpe" else sshd
    raise LabError(f"unknown daemon {daemon!r}")


FOREGROUND = ("lldpd", "netconfd")


def launch(daemon: str, device: Device, namespace: str, paths: DevicePaths, secrets: LabSecrets,
           bin_dir: Path) -> subprocess.Popen[bytes] | None:
    """Start one daemon without waiting; returns the forking parent to reap, or None (foreground)."""
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin"
    env["SNMP_PERSISTENT_DIR"] = str(paths.snmp_persist)
    env["SNMPCONFPATH"] = str(paths.snmp_client_conf)
    env["MIBS"] = ""
    cmd = shell.in_netns(namespace, command(daemon, device, paths, secrets), hostname=device.name)
    proc = shell.spawn(cmd, paths.log(f"{daemon}.start"), env=env)
    if daemon in FOREGROUND:
        paths.pid(daemon).write_text(f"{proc.pid}\n")
        return None
    return proc


def reap(proc: subprocess.Popen[bytes] | None, daemon: str, device: Device, paths: DevicePaths) -> None:
    """Wait for a forking daemon's parent; its exit status says whether the daemon came up."""
    if proc is None:
        return
    code = proc.wait(timeout=30)
    if code != 0:
        raise LabError(f"{device.name}: {daemon} exited with {code}: {tail(paths.log(daemon + '.start'))}"
                       f"{tail(paths.log(daemon))}")


def start(daemon: str, device: Device, namespace: str, paths: DevicePaths, secrets: LabSecrets,
          bin_dir: Path) -> None:
    """Start one daemon; forking daemons are waited for so their pid file exists on return."""
    reap(launch(daemon, device, namespace, paths, secrets, bin_dir), daemon, device, paths)


def running(daemon: str, paths: DevicePaths) -> bool:
    """True when the daemon's recorded pid is alive."""
    pid = shell.read_pid(paths.pid(daemon))
    return pid is not None and shell.pid_alive(pid)


def stop(daemon: str, paths: DevicePaths) -> None:
    """Stop one daemon by its pid file (no-op when it is not running)."""
    pid = shell.read_pid(paths.pid(daemon))
    if pid is not None:
        shell.terminate([pid])


def load_frr_config(paths: DevicePaths) -> None:
    """Push frr.conf into the running FRR daemons (vtysh -b, as the init script does)."""
    shell.run(["vtysh", "--vty_socket", str(paths.frr), "--config_dir", str(paths.frr), "-b"], timeout=60)


def vtysh(paths: DevicePaths, command_text: str) -> str:
    """Run one vtysh command against a device and return its output."""
    return shell.run(["vtysh", "--vty_socket", str(paths.frr), "--config_dir", str(paths.frr),
                      "-c", command_text], timeout=30).stdout


def tail(path: Path, lines: int = 8) -> str:
    """The end of a log, to put in an error message."""
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return (" | " + " / ".join(text[-lines:])) if text else ""
