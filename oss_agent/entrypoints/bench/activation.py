"""``oss-agent bench activation``: service orders through the agent, side by side with the floor.

The network is the lab's ``sites:N`` topology (a core router, N sites of a PE, a CE and a LAN host:
2N+1 devices). The agent runs each order end to end (plan, pools, journal, snapshots, CLI and
NETCONF confirmed commit, checks before and after). The floor is a plain script pushing the *same*
device changes (netmiko ``send_config_set`` on the PE, ncclient ``edit-config`` + ``commit`` on its
NETCONF side, the CE's ``ip``/``tc`` lines over its shell), with no orchestration, then polling the
same traffic check (a ping from the site's LAN host). Both keep their sessions open between orders.

Each round measures both sides twice:

- one order at a time (add at a site, then delete it, site after site): the latency of an order;
- every site at once (one ``internet-access`` add per site, then all the deletes): the throughput,
  with each order's latency under that load.

Per order, three points from accepted: every device *committed* (the CLI lines applied, the
NETCONF candidate committed with ``confirmed``: the change is running on every device, as after the
floor's push); the commits *confirmed* (after the checks passed: the issue's all-or-nothing rule
keeps the NETCONF confirmation behind them); *verified* complete. The floor has no confirmation, so
its confirmed point is its push.
"""

from __future__ import annotations

import asyncio
import ipaddress
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from adapters.netconf import leaves
from lab import LabOptions, down, up
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings, load_inventory
from oss_agent.config.inventory import Inventory
from oss_agent.discovery.service import discover_all
from oss_agent.domain.service_order import ServiceOrder
from oss_agent.entrypoints.bench.floor import Floor, SiteChange
from oss_agent.provisioning.configmodels import NETCONF, cli_model
from oss_agent.provisioning.devices import DeviceHandle
from oss_agent.provisioning.request import read_order


@dataclass
class Timings:
    committed: list[float] = field(default_factory=list)  # CLI applied, NETCONF committed (confirmed-commit)
    confirmed: list[float] = field(default_factory=list)  # the checks passed, the NETCONF commits confirmed
    verified: list[float] = field(default_factory=list)
    batches: list[tuple[int, float]] = field(default_factory=list)  # (orders, seconds)
    failed: int = 0

    def summary(self) -> dict[str, float]:
        orders = sum(n for n, _ in self.batches)
        seconds = sum(s for _, s in self.batches)
        return {
            "committed_p50_s": round(_pct(self.committed, 50), 3),
            "committed_p95_s": round(_pct(self.committed, 95), 3),
            "confirmed_p50_s": round(_pct(self.confirmed, 50), 3),
            "confirmed_p95_s": round(_pct(self.confirmed, 95), 3),
            "verified_p50_s": round(_pct(self.verified, 50), 3),
            "verified_p95_s": round(_pct(self.verified, 95), 3),
            "orders_per_min": round(orders / seconds * 60, 1) if seconds else 0.0,
            "orders": orders,
            "failed": self.failed,
        }


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def bench_options(data_dir: Path, prefix: str, mgmt_subnet: str) -> LabOptions:
    return LabOptions(
        data_dir=data_dir, inventory_path=data_dir / "inventory.yaml", prefix=prefix, mgmt_subnet=mgmt_subnet
    )


def sites(inventory: Inventory) -> list[tuple[str, str]]:
    """(site, customer LAN) of every CE, the LAN being its host's /24."""
    out = []
    for probe in inventory.probes:
        if probe.attached_to and probe.role == "customer":
            site = inventory.get(probe.attached_to).site
            out.append((site, str(ipaddress.ip_network(f"{probe.address}/24", strict=False))))
    return sorted(out, key=lambda s: int(s[0].removeprefix("customer")))


def add_body(site: str, lan: str) -> dict[str, Any]:
    chars = {"customer": "Bench", "site": site, "lan": lan, "bandwidthMbps": 10}
    return {
        "serviceOrderItem": [
            {
                "id": "1",
                "action": "add",
                "service": {
                    "serviceSpecification": {"id": "internet-access"},
                    "serviceCharacteristic": [{"name": k, "value": v} for k, v in chars.items()],
                },
            }
        ]
    }


async def agent_batch(agent: Agent, bodies: list[dict[str, Any]], timings: Timings) -> list[str]:
    """Submit every order at once and run them; per order the committed, confirmed and verified times."""
    assert agent.provisioning is not None
    activator = agent.provisioning.activator

    async def one(body: dict[str, Any]) -> str:
        accepted = (await agent.bus.handle(read_order(body))).result
        order_id: str = accepted.order_id
        start = time.perf_counter()
        marks: dict[str, list[float]] = {"prepared": [], "committed": []}
        state = await activator.execute(
            order_id, progress=lambda d, p, x: marks[p].append(time.perf_counter()) if p in marks else None
        )
        done = time.perf_counter()
        if state != "completed":
            timings.failed += 1
            return order_id
        # the engine's progress: "prepared" once a device's change is committed (confirmed-commit on
        # NETCONF), "committed" once its confirmation is done
        timings.committed.append((max(marks["prepared"]) if marks["prepared"] else done) - start)
        timings.confirmed.append((max(marks["committed"]) if marks["committed"] else done) - start)
        timings.verified.append(done - start)
        return order_id

    started = time.perf_counter()
    ids = list(await asyncio.gather(*(one(b) for b in bodies)))
    timings.batches.append((len(bodies), time.perf_counter() - started))
    return ids


async def floor_changes(agent: Agent, inventory: Inventory, site_list: list[tuple[str, str]]) -> list[SiteChange]:
    """The same device changes the agent makes, rendered by the catalog and diffed against the running
    configurations, for the floor to push (add) and take back (delete)."""
    assert agent.provisioning is not None
    ctx = agent.provisioning
    internet = next(p.address for p in inventory.probes if p.role == "internet")
    changes = []
    for site, lan in site_list:
        command = read_order(add_body(site, lan))
        order = ServiceOrder.submit(command.order_id, command.items, datetime.now(UTC))
        the_plan = ctx.activator.planner().plan(order, {}, {}, allocate=False)
        [item] = the_plan.items
        pe, ce = item.endpoints[0].pe, item.endpoints[0].ce
        site_change = SiteChange(site, pe, ce, item.endpoints[0].probe or "", internet)
        for (device, part), text in item.renderings.items():
            handle = DeviceHandle(ctx.activator.target(device), ctx.activator.drivers, part == "netconf")
            if part == "netconf":
                running = await handle.read_netconf() or ""
                added = NETCONF.items(text) - NETCONF.items(running)
                site_change.netconf_add = leaves.edit(set(), dict(added))
                site_change.netconf_delete = leaves.edit({path for path, _ in added}, {})
                continue
            model = cli_model(ctx.activator.target(device).platform)
            running = await handle.read_cli()
            items = model.items(text) - model.items(running)
            add = model.change(running, frozenset(), items)
            delete = model.change(add.target, items, frozenset())
            if device == pe:
                site_change.pe_add, site_change.pe_delete = list(add.lines), list(delete.lines)
            else:
                site_change.ce_add, site_change.ce_delete = list(add.lines), list(delete.lines)
        changes.append(site_change)
    return changes


async def run(options: LabOptions, rounds: int, workdir: Path) -> dict[str, Any]:
    inventory = load_inventory(options.inventory_path)
    runner = BlockingRunner(64)
    settings = AgentSettings(
        data_dir=workdir, inventory_file=options.inventory_path, provisioning_check_timeout_s=30, worker_threads=64
    )
    agent = bootstrap(settings, registry=build_registry(runner), upgrade_schema=True, runner=runner)
    figures = {mode: {"agent": Timings(), "floor": Timings()} for mode in ("alone", "batch")}
    try:
        await discover_all(agent)
        site_list = sites(inventory)
        changes = await floor_changes(agent, inventory, site_list)
        # a warm-up round of each (sessions opened, caches filled), not measured
        ids = await agent_batch(agent, [add_body(s, lan) for s, lan in site_list], Timings())
        await agent_batch(agent, [delete_body(agent, i) for i in ids], Timings())
        with Floor(inventory, changes, workers=64) as floor:
            floor.batch(add=True, timings=Timings())
            floor.batch(add=False, timings=Timings())
            for _ in range(rounds):
                alone, batch = figures["alone"], figures["batch"]
                for site, lan in site_list:
                    [added] = await agent_batch(agent, [add_body(site, lan)], alone["agent"])
                    await agent_batch(agent, [delete_body(agent, added)], alone["agent"])
                floor.alone(timings=alone["floor"])
                ids = await agent_batch(agent, [add_body(s, lan) for s, lan in site_list], batch["agent"])
                await agent_batch(agent, [delete_body(agent, i) for i in ids], batch["agent"])
                floor.batch(add=True, timings=batch["floor"])
                floor.batch(add=False, timings=batch["floor"])
    finally:
        assert agent.provisioning is not None
        await agent.provisioning.close()
        runner.shutdown()
        agent.close()
    devices = len(inventory.devices)
    return {
        "devices": devices,
        "sites": len(site_list),
        "rounds": rounds,
        **{mode: {side: t.summary() for side, t in sides.items()} for mode, sides in figures.items()},
    }


def delete_body(agent: Agent, order_id: str) -> dict[str, Any]:
    assert agent.provisioning is not None
    with agent.provisioning.uow() as uow:
        order = uow.orders.get(order_id)
    assert order is not None
    service_id = order.items[0].service_id
    return {"serviceOrderItem": [{"id": "1", "action": "delete", "service": {"id": service_id}}]}


def bench(sites_count: int, rounds: int, prefix: str, mgmt_subnet: str, keep_lab: bool) -> tuple[dict[str, Any], float]:
    with tempfile.TemporaryDirectory(prefix="oss-bench-activation-") as tmp:
        options = bench_options(Path(tmp) / "lab", prefix, mgmt_subnet)
        try:
            report = up(f"sites:{sites_count}", options)
            figures = asyncio.run(run(options, rounds, Path(tmp) / "agent"))
        finally:
            if not keep_lab:
                down(options)
    return figures, report.elapsed_s


__all__ = ["bench"]
