"""``oss-agent bench inventory``: load an inventory of N devices the way the agent does (parse, merge
defaults and groups, validate, resolve secrets) and read the same file with PyYAML's C loader
(``yaml.CSafeLoader``, parsing alone: the floor), each in a fresh process, side by side.

Memory is the process's peak RSS less its RSS after imports (before the file is read), divided by
the devices: the bytes one more device costs, for both loaders alike.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOADERS = ("agent", "c_loader")
LABELS = {"agent": "oss-agent load_inventory", "c_loader": "yaml.CSafeLoader (parse only)"}
PLATFORMS = ("frr", "linux", "cisco_ios")


def write_inventory(directory: Path, devices: int) -> Path:
    """An inventory like an operator's: defaults with secret files, three groups, a site and tags
    per device; every third device without SSH/NETCONF and every 25th with its own SNMPv3 block."""
    directory.mkdir(parents=True, exist_ok=True)
    secrets = {}
    for name in ("snmp_ro", "snmp_rw", "ssh_password", "v3_auth", "v3_priv"):
        path = directory / name
        path.write_text(f"bench-{name}\n")
        path.chmod(0o600)
        secrets[name] = path
    lines = [
        "defaults:",
        "  site: bench",
        "  tags: [bench]",
        "  snmp:",
        "    version: v2c",
        "    port: 161",
        f"    community: {{file: {secrets['snmp_ro']}}}",
        f"    write_community: {{file: {secrets['snmp_rw']}}}",
        "  ssh:",
        "    username: netops",
        f"    password: {{file: {secrets['ssh_password']}}}",
        "  netconf:",
        "    username: netops",
        f"    password: {{file: {secrets['ssh_password']}}}",
        "groups:",
        "  pe: {role: pe, platform: frr}",
        "  p: {role: p, platform: frr}",
        "  cpe: {role: cpe, platform: linux}",
        "devices:",
    ]
    for i in range(devices):
        group = ("pe", "p", "cpe")[i % 3]
        lines += [
            f"  - name: dev{i:06d}",
            f"    host: 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
            f"    site: pop{i % 97}",
            f"    groups: [{group}]",
            f"    tags: [bench, {group}]",
        ]
        if group == "cpe":
            lines += ["    ssh: null", "    netconf: null"]
        if i % 25 == 0:
            lines += [
                "    snmp:",
                "      version: v3",
                "      community: null",
                "      write_community: null",
                f"      user: mon{i}",
                "      auth_protocol: sha",
                f"      auth_key: {{file: {secrets['v3_auth']}}}",
                "      priv_protocol: aes",
                f"      priv_key: {{file: {secrets['v3_priv']}}}",
                f"      engine_id: '0x8000{i:016x}'",
            ]
    path = directory / "inventory.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _resident_bytes() -> int:
    with Path("/proc/self/statm").open() as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure(loader: str, path: Path) -> dict[str, Any]:
    """In this process (a fresh one): load ``path`` once with ``loader``; time, RSS before and peak."""
    import yaml

    from oss_agent.config import load_inventory

    before = _resident_bytes()
    start = time.perf_counter()
    if loader == "agent":
        devices = len(load_inventory(path).devices)
    else:
        devices = len(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["devices"])
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"loader": loader, "devices": devices, "seconds": seconds, "rss_before": before, "peak_rss": peak}


@dataclass(frozen=True)
class Figure:
    loader: str
    devices: int
    seconds: float
    rss_before: int
    peak_rss: int

    @property
    def devices_per_s(self) -> float:
        return self.devices / self.seconds

    @property
    def bytes_per_device(self) -> float:
        return (self.peak_rss - self.rss_before) / self.devices


def run_one(loader: str, path: Path) -> Figure:
    done = subprocess.run(
        [sys.executable, "-m", "oss_agent.entrypoints.bench.inventory", loader, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {loader} run failed: {done.stderr.strip()[-2000:]}")
    return Figure(**json.loads(done.stdout.splitlines()[-1]))


def best(figures: list[Figure]) -> Figure:
    """The fastest run; memory from the same run (every run reads the same file)."""
    return min(figures, key=lambda f: f.seconds)


def report(agent: Figure, c_loader: Figure) -> tuple[list[list[str]], dict[str, Any]]:
    rows = []
    for f in (agent, c_loader):
        rows.append(
            [
                LABELS[f.loader],
                f"{f.devices:,}",
                f"{f.seconds:.2f}",
                f"{f.devices_per_s:,.0f}",
                f"{f.peak_rss / 2**20:.0f}",
                f"{f.bytes_per_device:,.0f}",
            ]
        )
    summary = {
        "devices": agent.devices,
        "agent_seconds": round(agent.seconds, 3),
        "c_loader_seconds": round(c_loader.seconds, 3),
        "agent_devices_per_s": round(agent.devices_per_s),
        "c_loader_devices_per_s": round(c_loader.devices_per_s),
        "agent_bytes_per_device": round(agent.bytes_per_device),
        "c_loader_bytes_per_device": round(c_loader.bytes_per_device),
        "agent_peak_rss_bytes": agent.peak_rss,
        "c_loader_peak_rss_bytes": c_loader.peak_rss,
        "time_ratio": round(agent.seconds / c_loader.seconds, 3),
        "memory_ratio": round(agent.bytes_per_device / c_loader.bytes_per_device, 3),
    }
    return rows, summary


def main(argv: list[str]) -> None:
    loader, path = argv
    if loader not in LOADERS:
        raise SystemExit(f"loader must be one of {', '.join(LOADERS)}")
    print(json.dumps(measure(loader, Path(path))))


if __name__ == "__main__":
    main(sys.argv[1:])
