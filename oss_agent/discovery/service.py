"""Discovery of the whole network: every inventory device, then (optionally) its LLDP neighbours.

``discover_all`` is what the CLI and the daemon call. Devices are collected concurrently (bounded by
``max_concurrent_polls``); each device's observation is stored through the message bus in one unit of
work (``RecordDiscovery``). One device failing never stops the others: its result says why.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters import DeviceTarget
from oss_agent.bootstrap import Agent, device_specs, read_inventory
from oss_agent.config import Inventory
from oss_agent.discovery.collect import Collection, collect
from oss_agent.discovery.crawl import CrawlCandidate, candidates
from oss_agent.domain.commands import RecordDiscovery, SyncInventory
from oss_agent.domain.model import DeviceSpec
from oss_agent.service_layer.discovery_handlers import DiscoveryRecord

MAX_CRAWLED = 256


@dataclass(frozen=True)
class DeviceDiscoveryResult:
    """The outcome for one device, as data: ``ok`` is False only when the device could not be read at all."""

    device: str
    host: str
    status: str
    error: str | None = None
    origin: str = "inventory"
    found_from: str | None = None
    duration_s: float = 0.0
    interfaces: int = 0
    addresses: int = 0
    lldp_neighbors: int = 0
    routing_neighbors: int = 0
    config_version: int | None = None
    config_changed: bool = False
    drifted: bool = False
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


Progress = Callable[[DeviceDiscoveryResult, int], None]
"""Called after each device with its result and the number of devices known so far (crawling adds some)."""


async def discover_all(
    agent: Agent,
    inventory: Inventory | None = None,
    *,
    crawl_subnets: Sequence[str] | None = None,
    sync_inventory: bool = True,
    progress: Progress | None = None,
) -> list[DeviceDiscoveryResult]:
    """Discover every inventory device (and crawled ones); one result per device, inventory order first.

    ``inventory`` defaults to the settings' inventory file; ``crawl_subnets`` to the setting
    ``discovery_crawl_subnets`` (empty: no crawl). With ``sync_inventory`` the stored devices are first
    made to match the inventory (crawled devices are kept).
    """
    settings = agent.settings
    inventory = inventory or read_inventory(settings)
    subnets = list(settings.discovery_crawl_subnets if crawl_subnets is None else crawl_subnets)
    if sync_inventory:
        await agent.bus.handle(SyncInventory(device_specs(inventory)))
    specs = {spec.name: spec for spec in device_specs(inventory)}
    known_names = set(specs)
    known_hosts = {spec.host for spec in specs.values()}
    limit = asyncio.Semaphore(settings.max_concurrent_polls)
    store_lock = asyncio.Lock()
    results: list[DeviceDiscoveryResult] = []
    total = len(specs)

    async def one(target: DeviceTarget, crawled: CrawlCandidate | None) -> None:
        nonlocal total
        async with limit:
            started = time.monotonic()
            collection = await _collect_guarded(agent, target)
        new = candidates(target, collection.lldp or [], subnets, known_names, known_hosts)[
            : max(0, MAX_CRAWLED - (total - len(specs)))
        ]
        async with store_lock:
            result = await _store(agent, collection, crawled, started)
            total += len(new)
            results.append(result)
            if progress is not None:
                progress(result, total)
        await asyncio.gather(*(one(c.target, c) for c in new))

    await asyncio.gather(*(one(inventory.target(name), None) for name in specs))
    order = {name: i for i, name in enumerate(specs)}
    return sorted(results, key=lambda r: (order.get(r.device, len(order)), r.device))


async def _collect_guarded(agent: Agent, target: DeviceTarget) -> Collection:
    """Collect with an overall deadline, so a device stuck in every protocol cannot hold the run."""
    timeout = agent.settings.device_timeout_s
    try:
        async with asyncio.timeout(timeout * 4):
            return await collect(agent.registry, target, timeout)
    except TimeoutError:
        failed = Collection(target)
        failed.protocols["all"] = "-"
        failed.errors["all"] = f"no complete answer within {timeout * 4:g} s"
        return failed


async def _store(agent: Agent, c: Collection, crawled: CrawlCandidate | None, started: float) -> DeviceDiscoveryResult:
    target = c.target
    status = c.status
    error = None
    if c.errors:
        error = "; ".join(f"{job}: {message}" for job, message in sorted(c.errors.items()))
    elif not c.protocols:
        error = "no driver can read this device: " + "; ".join(sorted(set(c.skipped.values())))
    spec = None
    if crawled is not None:
        spec = DeviceSpec(target.name, target.host, target.platform, role="", tags=("discovered",))
    at = datetime.now(UTC)
    command = RecordDiscovery(
        device=target.name,
        at=at,
        facts=c.facts_state(),
        interfaces=c.interface_states(),
        addresses=c.address_states(),
        lldp=c.lldp_states(),
        routing=c.routing_states(),
        configs=c.config_texts(),
        spec=spec,
        found_from=None if crawled is None else crawled.found_from,
        error=error if status == "failed" else None,
    )
    try:
        record: DiscoveryRecord = (await agent.bus.handle(command)).result
    except Exception as exc:
        # Storing is part of the device's result too: a bad row for one device never aborts the run.
        status, error = "failed", f"storing the discovery failed: {type(exc).__name__}: {exc}"
        record = DiscoveryRecord(target.name, 0)
    return DeviceDiscoveryResult(
        device=target.name,
        host=target.host,
        status=status,
        error=error,
        origin="inventory" if crawled is None else "crawl",
        found_from=None if crawled is None else crawled.found_from,
        duration_s=round(time.monotonic() - started, 3),
        interfaces=len(c.interfaces or []),
        addresses=len(c.address_states() or ()),
        lldp_neighbors=len(c.lldp or []),
        routing_neighbors=len(c.routing_states() or ()),
        config_version=record.config_version,
        config_changed=record.config_changed,
        drifted=record.drifted,
        configs={name: asdict(status) for name, status in record.configs.items()},
        changes=record.changes,
        errors=dict(c.errors),
        skipped=dict(c.skipped),
    )
