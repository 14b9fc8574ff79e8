"""``oss-agent bench poll``: walk ifTable + ifXTable of N lab devices with this agent's poller, then with
snmpbulkwalk and snmp_exporter against the same agents, and print the three side by side."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import tempfile
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters import DeviceTarget
from adapters.snmp import SnmpDriver, SnmpManager, mib
from lab import LabOptions, down, up
from oss_agent.config import load_inventory
from oss_agent.entrypoints.bench import peers


@dataclass(frozen=True)
class Figure:
    name: str
    devices: int
    varbinds: int
    seconds: float

    @property
    def varbinds_per_s(self) -> float:
        return self.varbinds / self.seconds

    @property
    def devices_per_s(self) -> float:
        return self.devices / self.seconds


def bench_options(devices: int, data_dir: Path) -> LabOptions:
    """A lab of its own (prefix, subnet) so a running lab is never touched; /22 fits 500 devices."""
    size = min(24, 32 - (devices + 16).bit_length())
    subnet = ipaddress.ip_network(f"100.72.0.0/{size}")
    return LabOptions(
        data_dir=data_dir,
        inventory_path=data_dir / "inventory.yaml",
        prefix="bench",
        mgmt_subnet=str(subnet),
        link_subnet="198.19.0.0/16",
    )


async def agent_walks(targets: Sequence[DeviceTarget], max_concurrent: int) -> int:
    """The agent's fast path: every device's two tables, ``max_concurrent`` devices at a time, one socket."""
    manager = SnmpManager()
    semaphore = asyncio.Semaphore(max_concurrent)

    async def one(target: DeviceTarget) -> int:
        async with semaphore:
            driver = SnmpDriver(target, manager)
            tables = await asyncio.gather(driver.walk(mib.IF_TABLE), driver.walk(mib.IFX_TABLE))
            return sum(len(t) for t in tables)

    try:
        return sum(await asyncio.gather(*(one(t) for t in targets)))
    finally:
        manager.close()


async def measure(name: str, devices: int, work: Awaitable[int]) -> Figure:
    started = time.perf_counter()
    varbinds = await work
    return Figure(name, devices, varbinds, time.perf_counter() - started)


async def run_all(inventory_path: Path, parallel: int, max_concurrent: int) -> list[Figure]:
    inventory = load_inventory(inventory_path)
    targets = [inventory.target(name) for name in inventory.names()]
    hosts = [t.host for t in targets]
    access = targets[0].snmp
    assert access is not None and access.community is not None
    community = access.community.reveal()
    n = len(targets)
    await agent_walks(targets[: min(10, n)], max_concurrent)  # warm the agents' caches, not measured
    figures = [await measure("agent", n, agent_walks(targets, max_concurrent))]
    figures.append(await measure("snmpbulkwalk", n, peers.snmpbulkwalk(hosts, community, parallel)))
    async with peers.running_exporter(community) as url:
        figures.append(await measure("snmp_exporter", n, peers.exporter_scrapes(url, hosts, parallel)))
    return figures


def report(figures: list[Figure]) -> tuple[list[list[str]], dict[str, object]]:
    agent = figures[0]
    rows = [
        [
            f.name,
            str(f.devices),
            str(f.varbinds),
            f"{f.seconds:.2f}",
            f"{f.varbinds_per_s:,.0f}",
            f"{f.devices_per_s:.1f}",
            f"{agent.varbinds_per_s / f.varbinds_per_s:.2f}",
        ]
        for f in figures
    ]
    by_name = {f.name: f for f in figures}
    summary: dict[str, object] = {
        "devices": agent.devices,
        "agent_varbinds_per_s": round(agent.varbinds_per_s),
        "snmpbulkwalk_varbinds_per_s": round(by_name["snmpbulkwalk"].varbinds_per_s),
        "snmp_exporter_varbinds_per_s": round(by_name["snmp_exporter"].varbinds_per_s),
    }
    return rows, summary


def bench(
    devices: int, parallel: int = 16, max_concurrent: int = 64, keep_lab: bool = False
) -> tuple[list[list[str]], dict[str, object], float]:
    """Bring the scale lab up, measure the three, take the lab down; returns table rows, summary, lab up s."""
    with tempfile.TemporaryDirectory(prefix="oss-bench-") as tmp:
        options = bench_options(devices, Path(tmp))
        try:
            lab_report = up(f"scale:{devices}", options)
            figures = asyncio.run(run_all(options.inventory_path, parallel, max_concurrent))
        finally:
            if not keep_lab:
                down(options)
    rows, summary = report(figures)
    return rows, summary, lab_report.elapsed_s


def json_line(summary: dict[str, object]) -> str:
    return json.dumps(summary, sort_keys=False)
