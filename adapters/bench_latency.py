"""Per-protocol latency of one typical call against the lab, and NETCONF RPCs/s with and without the TICK fix.

    .venv/bin/python -m adapters.bench_latency                 # brings up its own lab (prefix bench)
    .venv/bin/python -m adapters.bench_latency --inventory X   # uses a running lab's inventory

The lab is started and stopped through the ``oss-agent lab`` command (a subprocess), because
``adapters`` imports nothing else of the project. Calls go through the drivers as the agent makes
them: one reused session per device, in the shared pool, under the device lock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml

from adapters.blocking import BlockingRunner
from adapters.cli import CliDriver
from adapters.napalm import NapalmDriver
from adapters.netconf import NetconfDriver
from adapters.netconf.parse import INTERFACES_STATE_FILTER
from adapters.snmp import SnmpDriver, SnmpManager, mib
from adapters.target import DeviceTarget, NetconfAccess, Secret, SnmpAccess, SshAccess

PREFIX, SUBNET = "bench", "100.64.9.0/24"


def _secret(value: Any) -> Secret | None:
    if isinstance(value, dict) and "file" in value:
        return Secret(Path(value["file"]).read_text().strip())
    return Secret(str(value)) if value is not None else None


def target_from_inventory(path: Path, name: str) -> DeviceTarget:
    """A router of the lab's inventory (defaults + the device's own host), secrets read from files."""
    data = yaml.safe_load(path.read_text())
    device = next(d for d in data["devices"] if d["name"] == name)
    ssh, netconf, snmp = data["defaults"]["ssh"], data["defaults"]["netconf"], data["defaults"]["snmp"]
    return DeviceTarget(
        name,
        device["host"],
        device["platform"],
        snmp=SnmpAccess("v2c", snmp.get("port", 161), community=_secret(snmp.get("community"))),
        ssh=SshAccess(ssh["username"], ssh.get("port", 22), _secret(ssh.get("password"))),
        netconf=NetconfAccess(netconf["username"], netconf.get("port", 830), _secret(netconf.get("password"))),
    )


async def _median_ms(call: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float]:
    """(median, p90) in milliseconds, after one warm-up call that opens the session."""
    await call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


async def _rpc_rate(target: DeviceTarget, runner: BlockingRunner, tick_s: float | None, count: int) -> float:
    driver = NetconfDriver(target, runner, tick_s=tick_s)
    try:
        await driver.open()
        started = time.perf_counter()
        for _ in range(count):
            await driver.get_config_xml()
        return count / (time.perf_counter() - started)
    finally:
        await driver.close()


async def measure(inventory: Path, runs: int) -> dict[str, Any]:
    runner = BlockingRunner(4)
    target = target_from_inventory(inventory, "pe1")
    results: dict[str, Any] = {"runs": runs, "device": target.name}
    try:
        # Without the fix first: ncclient's tick is a process-wide global that the fix lowers.
        import ncclient.transport.session as nc_session

        nc_session.TICK = 0.1
        results["netconf_rpcs_per_s_tick_0.1"] = round(await _rpc_rate(target, runner, None, 20), 1)
        results["netconf_rpcs_per_s_tick_0.001"] = round(await _rpc_rate(target, runner, 0.001, 300), 1)
        netconf, cli, napalm = NetconfDriver(target, runner), CliDriver(target, runner), NapalmDriver(target, runner)
        snmp = SnmpDriver(target, SnmpManager())
        try:
            figures = {
                "snmp_get_sysuptime_ms": await _median_ms(lambda: snmp.get([mib.SYS_UPTIME]), runs),
                "snmp_walk_iftable_ms": await _median_ms(lambda: snmp.walk(mib.IF_TABLE), runs),
                "netconf_get_ietf_interfaces_ms": await _median_ms(lambda: netconf.get(INTERFACES_STATE_FILTER), runs),
                "cli_show_ip_route_json_ms": await _median_ms(lambda: cli.run_command("show ip route json"), runs),
                "napalm_frr_get_facts_ms": await _median_ms(lambda: napalm.napalm("get_facts"), runs),
            }
        finally:
            for driver in (netconf, cli, napalm):
                await driver.close()
            snmp.manager.close()
        for name, (median, p90) in figures.items():
            results[name] = {"median": round(median, 2), "p90": round(p90, 2)}
    finally:
        runner.shutdown()
    return results


def _oss_agent(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).parent / "oss-agent"),
        "lab",
        *args,
        "--prefix",
        PREFIX,
        "--mgmt-subnet",
        SUBNET,
        "--format",
        "json",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSS_AGENT_")}
    env["OSS_AGENT_DATA_DIR"] = str(data_dir)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inventory", type=Path, help="a running lab's inventory (default: start a lab)")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    if args.inventory is not None:
        print(json.dumps(asyncio.run(measure(args.inventory, args.runs)), indent=2))
        return
    with tempfile.TemporaryDirectory(prefix="bench-lab-") as tmp:
        data_dir = Path(tmp)
        try:
            started = _oss_agent("up", "default", data_dir=data_dir)
            if started.returncode != 0:
                raise SystemExit(f"lab up failed: {started.stderr.strip()}")
            print(json.dumps(asyncio.run(measure(data_dir / "inventory.yaml", args.runs)), indent=2))
        finally:
            _oss_agent("down", data_dir=data_dir)


if __name__ == "__main__":
    main()
