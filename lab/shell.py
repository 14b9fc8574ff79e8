"""Thin wrappers around ``ip``, ``/proc`` and process control.

Everything that touches the host goes through here, so failures become :class:`LabError`
with the command and its stderr, and the rest of the lab stays readable.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from lab.errors import LabError

NETNS_DIR = Path("/run/netns")

# binary -> the Debian package that ships it (named in the error when it is missing)
BINARIES = {
    "ip": "iproute2",
    "unshare": "util-linux",
    "ping": "iputils-ping",
    "snmpd": "snmpd",
    "/usr/lib/frr/zebra": "frr",
    "/usr/lib/x86_64-linux-gnu/frr/modules/bgpd_snmp.so": "frr-snmp",
    "vtysh": "frr",
    "/usr/sbin/sshd": "openssh-server",
    "ssh-keygen": "openssh-client",
    "netconfd": "netconfd",
    "/usr/sbin/netconf-subsystem": "netconfd",
    "/usr/lib/x86_64-linux-gnu/yuma/libietf-interfaces.so": "netconfd-module-ietf-interfaces",
    "/usr/lib/x86_64-linux-gnu/yuma/libietf-system.so": "netconfd-module-ietf-system",
    "lldpd": "lldpd",
    "lldpcli": "lldpd",
    "useradd": "passwd",
    "chpasswd": "passwd",
    "nft": "nftables",
    "setcap": "libcap2-bin",
    "setpriv": "util-linux",
    "tc": "iproute2",
}


def require_root() -> None:
    """Namespaces, veths and daemons on port 161/22 all need root: say so before touching anything."""
    if os.geteuid() != 0:
        raise LabError("the lab needs root: it creates network namespaces, veth pairs and a bridge "
                       "and runs daemons on privileged ports (run it as root, e.g. in CI or with sudo)")


def require_binaries(needed: Iterable[str]) -> None:
    """Raise one LabError naming every Debian package whose binary is missing."""
    missing = sorted({BINARIES[b] for b in needed
                      if not (Path(b).exists() if b.startswith("/") else shutil.which(b))})
    if missing:
        raise LabError(f"missing lab software: install the Debian packages {' '.join(missing)} "
                       "(apt-get install -y $(cat lab/debian-packages.txt), or `bash dev setup-lab`)")


def run(cmd: Sequence[str], *, stdin: str | None = None, check: bool = True,
        timeout: float = 60.0, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, turning a failure into LabError with its stderr."""
    try:
        proc = subprocess.run(list(cmd), input=stdin, capture_output=True, text=True,
                              timeout=timeout, check=False, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"{' '.join(cmd)}: {exc}") from exc
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    return proc


def ip_batch(lines: Sequence[str], *, netns: str | None = None, force: bool = False) -> None:
    """Apply many ``ip`` commands in one process: thousands of links in a scale lab stay fast."""
    if not lines:
        return
    cmd = ["ip"] + (["-n", netns] if netns else []) + (["-force"] if force else []) + ["-batch", "-"]
    run(cmd, stdin="\n".join(lines) + "\n", check=not force)


def in_netns(netns: str, cmd: Sequence[str], hostname: str | None = None) -> list[str]:
    """Wrap ``cmd`` to run inside ``netns``, optionally in its own UTS namespace named ``hostname``.

    ``ip netns exec`` keeps the host's hostname, which would leak into sysName, LLDP and
    prompts; ``unshare --uts`` gives the daemon its own hostname without forking.
    """
    base = ["ip", "netns", "exec", netns]
    if hostname is None:
        return [*base, *cmd]
    return [*base, "unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', hostname, *cmd]


def spawn(cmd: Sequence[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a process detached from our session, so it outlives the caller (CLI, pytest)."""
    with log.open("ab") as out:
        return subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True, env=env)


def install_executable(path: Path, text: str) -> bool:
    """Put an executable script at ``path`` without ever opening the live file for writing.

    A running daemon may execute it at any moment (netconfd runs the lab's get-interface-ipv4
    helper), and exec of a file open for writing fails with ETXTBSY, which netconfd answers with an
    abort. So an identical script is left alone, and a new one is written beside it and renamed
    over it: exec sees the old file or the new one, never one being written. True when it changed.
    """
    try:
        if path.read_text() == text and os.access(path, os.X_OK):
            return False
    except OSError:
        pass
    write_atomic(path, text, 0o755)
    return True


def write_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write ``text`` beside ``path`` and rename it over ``path``: readers (and exec) see the old
    file or the new one, never one half written."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staging.write_text(text)
    if mode is not None:
        staging.chmod(mode)
    staging.replace(path)


def list_netns(prefix: str) -> list[str]:
    """Namespaces whose name starts with ``prefix-``."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(f"{prefix}-"))


def root_links(prefix: str) -> list[str]:
    """Root-namespace interfaces named ``prefix-*`` (the mgmt veths and the bridge)."""
    names = [p.name for p in Path("/sys/class/net").iterdir()]
    return sorted(n for n in names if n.startswith(f"{prefix}-"))


def pid_alive(pid: int) -> bool:
    """True for a live process; a zombie (exited, not yet reaped) counts as dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def read_pid(path: Path) -> int | None:
    """The pid in a pid file, or None when the file is missing or garbage."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def netns_pids(names: Iterable[str]) -> dict[str, list[int]]:
    """Pids running in each named namespace, from one scan of /proc (``ip netns pids`` per name is slow)."""
    inodes: dict[int, str] = {}
    for name in names:
        try:
            inodes[(NETNS_DIR / name).stat().st_ino] = name
        except OSError:
            continue
    found: dict[str, list[int]] = {name: [] for name in inodes.values()}
    if not inodes:
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ino = (entry / "ns" / "net").stat().st_ino
        except OSError:
            continue
        if ino in inodes:
            found[inodes[ino]].append(int(entry.name))
    return found


def pids_using(path: Path) -> list[int]:
    """Pids whose command line mentions ``path``: daemons that outlived their namespace."""
    needle = str(path).encode() + b"/"
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "cmdline").read_bytes():
                out.append(int(entry.name))
        except OSError:
            continue
    return out


def terminate(pids: Iterable[int], grace_s: float = 3.0) -> int:
    """SIGTERM, wait up to ``grace_s`` for them to exit, then SIGKILL; returns how many were signalled."""
    targets = [p for p in set(pids) if pid_alive(p)]
    for pid in targets:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(pid_alive(p) for p in targets):
        time.sleep(0.02)
    for pid in targets:
        if pid_alive(pid):
            _signal(pid, signal.SIGKILL)
    return len(targets)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
