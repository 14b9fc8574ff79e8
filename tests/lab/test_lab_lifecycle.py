"""up/down/status of small separate labs (own prefix and subnets, so the session lab is untouched).

Proves that ``down`` leaves nothing behind, also after a crashed ``up`` or from hand-made
leftovers, that ``up`` is idempotent, and that the scale topology yields realistic agents.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import LabError, LabOptions, down, faults, shell, status, up
from lab.lifecycle import ETC_NETNS
from lab.pytest_plugin import SESSION_PREFIX, require_root
from lab.snmp_client import IF_DESCR, IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, SYS_NAME, get, if_index, v2c, walk

pytestmark = pytest.mark.lab

TWO_ROUTERS = Path(__file__).parent / "data" / "two-routers.yaml"
# Each small lab gets its own prefix (derived from the session's, which is overridable) and mgmt subnet.
SPARE = os.environ.get(
    "OSS_LAB_TEST_SPARE_SUBNETS", "198.18.254.0/24,198.18.253.0/24,198.18.252.0/24,198.18.251.0/24"
).split(",")


def options(tmp_path: Path, prefix: str, mgmt: str) -> LabOptions:
    return LabOptions(
        data_dir=tmp_path / "data",
        inventory_path=tmp_path / "data" / "inventory.yaml",
        trap_port=16299,
        prefix=prefix,
        mgmt_subnet=mgmt,
        link_subnet="198.19.0.0/16",
    )


def leftovers(opts: LabOptions) -> list[str]:
    """Everything of this lab still on the host (empty means clean)."""
    found = [f"netns {n}" for n in shell.list_netns(opts.prefix)]
    found += [f"link {n}" for n in shell.root_links(opts.prefix)]
    found += [f"pid {p}" for p in shell.pids_using(opts.run_dir)]
    found += [f"path {p}" for p in (opts.run_dir, opts.state_dir, opts.inventory_path) if p.exists()]
    found += [f"etc {p}" for p in ETC_NETNS.glob(f"{opts.prefix}-*")] if ETC_NETNS.is_dir() else []
    try:
        pwd.getpwnam(opts.prefix)
        found.append(f"user {opts.prefix}")
    except KeyError:
        pass
    return found


def poll(what: str, check: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s: {what}")
        time.sleep(0.05)


def test_up_is_idempotent_and_down_leaves_nothing(tmp_path: Path) -> None:
    require_root()
    opts = options(tmp_path, f"{SESSION_PREFIX}d", SPARE[0])
    try:
        first = up(TWO_ROUTERS, opts)
        assert not first.reused and [d.name for d in first.devices] == ["r1", "r2"]
        assert all(s.healthy for s in status(opts))
        again = up(TWO_ROUTERS, opts)
        assert again.reused and again.elapsed_s < first.elapsed_s
        pids = [p for group in shell.netns_pids(shell.list_netns(opts.prefix)).values() for p in group]
        assert len(pids) >= 2 * 8
        other = up("scale:2", opts)  # a different topology: a clean rebuild, nothing of the old one left
        assert not other.reused and shell.list_netns(opts.prefix) == [f"{opts.prefix}-s001", f"{opts.prefix}-s002"]
        assert not any(shell.pid_alive(p) for p in pids)
    finally:
        report = down(opts)
    assert set(report.namespaces) == {f"{opts.prefix}-s001", f"{opts.prefix}-s002"}
    assert leftovers(opts) == []
    assert not any(shell.pid_alive(p) for p in pids)
    assert down(opts).namespaces == ()  # a second down is a harmless no-op


def test_down_cleans_up_after_a_killed_up(tmp_path: Path) -> None:
    require_root()
    opts = options(tmp_path, f"{SESSION_PREFIX}k", SPARE[1])
    script = (
        f"import lab, pathlib; lab.up({str(TWO_ROUTERS)!r}, lab.LabOptions("
        f"data_dir=pathlib.Path({str(opts.data_dir)!r}), inventory_path=pathlib.Path("
        f"{str(opts.inventory_path)!r}), prefix={opts.prefix!r}, mgmt_subnet={opts.mgmt_subnet!r}, "
        f"link_subnet='198.19.0.0/16'))"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        # kill it as soon as daemons are starting: namespaces exist, the lab is half built
        poll("the killed up to start daemons", lambda: any(opts.run_dir.glob("*/snmpd.pid")), 30)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert shell.list_netns(opts.prefix)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        down(opts)
    assert leftovers(opts) == []


# On SIGTERM it forks a child (as a daemon caught mid-daemonize would) and exits: the child appears
# only after down's first scan of the host. The child is forked with SIGTERM already at its default:
# reset in the child instead, a TERM from down's second scan could arrive before the reset and run this
# handler again (a grandchild, counted as a third process) or be dropped by Python once the reset is in
# place (down then waits out its grace and kills it). A CI run saw three processes and a 3 s down.
FORKS_ON_TERM = """
import os, signal, sys, time
def term(*_):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if os.fork() == 0:
        time.sleep(300)
    os._exit(0)
signal.signal(signal.SIGTERM, term)
open(sys.argv[2], "w").close()
time.sleep(300)
"""


def test_down_also_stops_a_child_forked_after_its_first_scan(tmp_path: Path) -> None:
    require_root()
    opts = options(tmp_path, f"{SESSION_PREFIX}f", SPARE[3])
    (opts.run_dir / "r1").mkdir(parents=True)
    ready = opts.run_dir / "r1" / "ready"
    daemon = subprocess.Popen([sys.executable, "-c", FORKS_ON_TERM, str(opts.run_dir / "r1" / "x"), str(ready)],
                              start_new_session=True)
    try:
        poll("the stand-in daemon to start", ready.exists, 10)
        report = down(opts)
        assert report.processes == 2  # the parent, then the child it forked when told to stop
    finally:
        for pid in shell.pids_using(opts.run_dir):
            os.kill(pid, signal.SIGKILL)
        daemon.wait(timeout=10)
    assert leftovers(opts) == []


def test_down_works_from_the_prefix_without_any_state(tmp_path: Path) -> None:
    require_root()
    opts = options(tmp_path, f"{SESSION_PREFIX}z", SPARE[2])
    ns = f"{opts.prefix}-ghost"
    shell.run(["ip", "netns", "add", ns])
    shell.run(["ip", "link", "add", ns, "type", "veth", "peer", "name", "mgmt0", "netns", ns])
    (opts.run_dir / "ghost").mkdir(parents=True)
    sleeper = subprocess.Popen(["ip", "netns", "exec", ns, "sleep", "300"], start_new_session=True)
    try:
        poll("the stray process to enter the namespace", lambda: shell.netns_pids([ns]).get(ns), 10)
        report = down(opts)
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
        sleeper.wait(timeout=10)
    assert report.namespaces == (ns,) and report.processes >= 1
    assert leftovers(opts) == []


def test_non_root_gets_a_clear_error() -> None:
    require_root()
    code = (
        "import lab, pathlib\ntry:\n lab.up(None, lab.LabOptions(data_dir=pathlib.Path('/tmp/x'), "
        "inventory_path=pathlib.Path('/tmp/x/i.yaml')))\nexcept lab.LabError as e:\n print(e)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, user="nobody", cwd="/"
    )
    assert "the lab needs root" in proc.stdout, proc.stderr


def test_missing_software_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(shell.BINARIES, "/nonexistent/netconfd", "netconfd")
    with pytest.raises(LabError, match="install the Debian packages netconfd"):
        shell.require_binaries(["ip", "/nonexistent/netconfd"])


def test_scale_devices_have_distinct_names_big_if_tables_and_moving_counters(tmp_path: Path) -> None:
    require_root()
    opts = options(tmp_path, f"{SESSION_PREFIX}s", SPARE[3])
    try:
        report = up("scale:5", opts)
        secrets = (opts.secrets_dir / "snmp_ro").read_text().strip()
        auth = v2c(secrets)
        names = {d.name: d.mgmt_host for d in report.devices}
        assert len(names) == 5
        for name, host in names.items():
            assert str(get(host, auth, SYS_NAME)[SYS_NAME]) == name
            assert len(walk(host, auth, IF_DESCR)) >= 24
        host = names["s001"]
        swp1 = f"{IF_HC_OUT_OCTETS}.{if_index(host, auth, 'swp1')}"
        swp2 = f"{IF_HC_IN_OCTETS}.{if_index(host, auth, 'swp2')}"
        mgmt = f"{IF_HC_IN_OCTETS}.{if_index(host, auth, 'mgmt0')}"
        before = {k: int(v) for k, v in get(host, auth, swp1, swp2, mgmt).items()}
        faults.send_traffic(opts, "s001", count=100)

        def moved() -> bool:
            now = {k: int(v) for k, v in get(host, auth, swp1, swp2, mgmt).items()}
            return all(now[k] - before[k] >= 100_000 for k in (swp1, swp2)) and now[mgmt] > before[mgmt]

        poll("swp1/swp2/mgmt0 counters to move", moved, 10)
    finally:
        down(opts)
    assert leftovers(opts) == []
