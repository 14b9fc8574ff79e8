"""``oss-agent run``: the long-running agent.

One asyncio loop runs APScheduler (each device's poll at its interval with jitter; never two polls
of one device at once; missed runs coalesced), the batch writer, rollups and retention, discovery,
the usage publication (TMF635: the intervals that completed, every ``usage_publish_every_s``),
and the northbound API (uvicorn). SIGTERM and SIGINT stop it cleanly: the scheduler stops taking
jobs, running polls finish, buffered samples are written, connections are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import time
from collections.abc import Awaitable, Callable, Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from adapters import DeviceTarget, Protocol
from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from adapters.snmp import SnmpManager
from adapters.snmp.traps import TrapReceiver, V3TrapUser
from oss_agent.bootstrap import Agent, bootstrap, device_specs, read_inventory
from oss_agent.config import AgentSettings
from oss_agent.domain.commands import PublishUsage, SyncInventory
from oss_agent.entrypoints.api import create_app
from oss_agent.errors import ConfigError
from oss_agent.fault.hub import run_dispatcher
from oss_agent.fault.hub.store import ALARM_HUB, HubStore
from oss_agent.fault.hub.tmf639 import RESOURCE_HUB
from oss_agent.fault.pipeline import FaultPipeline, InterfaceNames
from oss_agent.performance.latency import LatencyStore
from oss_agent.performance.poller import Poller
from oss_agent.performance.prober import LatencyProber
from oss_agent.performance.store import PerfStore, Retention
from oss_agent.performance.tmf635 import USAGE_HUB
from oss_agent.provisioning.hub import ORDER_HUB, SERVICE_HUB
from oss_agent.provisioning.recovery import recover
from oss_agent.provisioning.scheduler import OrderScheduler
from oss_agent.storage.engine import make_session_factory

logger = logging.getLogger(__name__)
FLUSH_EVERY_S = 5.0
ROUTING_CHECK_MIN_S = 10.0


class _ApiServer(uvicorn.Server):
    """uvicorn without its own signal handling: the daemon owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def _discover(agent: Agent) -> None:
    from oss_agent.discovery.service import discover_all

    results = await discover_all(agent, sync_inventory=False)
    failed = [r.device for r in results if not r.ok]
    logger.info("discovery: %d devices, %d failed %s", len(results), len(failed), failed or "")


class RunningJobs:
    """The scheduler's jobs that are running now, so a shutdown lets them finish instead of cancelling
    them mid-poll (APScheduler's asyncio executor cancels whatever still runs when it shuts down)."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[Any]] = set()

    def wrap(self, func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def job(*args: Any) -> Any:
            task = asyncio.current_task()
            assert task is not None
            self.running.add(task)
            try:
                return await func(*args)
            finally:
                self.running.discard(task)

        job.__name__ = getattr(func, "__name__", "job")
        job.__qualname__ = job.__name__
        return job

    async def drain(self, timeout_s: float) -> None:
        if self.running:
            await asyncio.wait(set(self.running), timeout=timeout_s)


def schedule(scheduler: AsyncIOScheduler, agent: Agent, poller: Poller, jobs: RunningJobs) -> None:
    """Every job of the agent; the first polls are spread over the jitter window, not all at once."""
    settings = agent.settings
    now = datetime.now(UTC)
    store = poller.store
    for name in poller.targets:
        first = now + timedelta(seconds=random.uniform(0, max(settings.poll_jitter_s, 0.1)))  # noqa: S311
        scheduler.add_job(
            jobs.wrap(poller.poll),
            "interval",
            args=[name],
            id=f"poll:{name}",
            seconds=settings.poll_interval_s,
            jitter=settings.poll_jitter_s or None,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(settings.poll_interval_s)),
            next_run_time=first,
        )
    for name in poller.targets:
        scheduler.add_job(
            jobs.wrap(poller.check_routing),
            "interval",
            args=[name],
            id=f"routing:{name}",
            seconds=max(ROUTING_CHECK_MIN_S, settings.poll_interval_s * 5),
            max_instances=1,
            coalesce=True,
            next_run_time=now + timedelta(seconds=random.uniform(0, max(settings.poll_jitter_s, 0.1))),  # noqa: S311
        )
    scheduler.add_job(
        jobs.wrap(poller.flush), "interval", id="flush", seconds=FLUSH_EVERY_S, max_instances=1, coalesce=True
    )
    scheduler.add_job(
        jobs.wrap(_rollup), "interval", args=[store], id="rollup", seconds=60, max_instances=1, coalesce=True
    )
    scheduler.add_job(
        jobs.wrap(_retention), "interval", args=[store], id="retention", seconds=3600, max_instances=1, coalesce=True
    )
    hub = HubStore(make_session_factory(agent.engine))
    scheduler.add_job(
        jobs.wrap(_hub_retention),
        "interval",
        args=[hub, settings.hub_retention_days],
        id="hub-retention",
        seconds=3600,
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        jobs.wrap(_publish_usage),
        "interval",
        args=[agent],
        id="usage",
        seconds=settings.usage_publish_every_s,
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        jobs.wrap(_discover),
        "interval",
        args=[agent],
        id="discovery",
        seconds=settings.discovery_interval_s,
        max_instances=1,
        coalesce=True,
        next_run_time=now,
        misfire_grace_time=None,  # the first run at start, however late a busy machine gets to it
    )


async def _rollup(store: PerfStore) -> None:
    await asyncio.to_thread(store.rollup, time.time())


async def _retention(store: PerfStore) -> None:
    await asyncio.to_thread(store.apply_retention, time.time(), Retention())


async def _publish_usage(agent: Agent) -> None:
    """The usage (TMF635) of every interval that completed; one failing run is logged, the next retries."""
    try:
        report = (await agent.bus.handle(PublishUsage(datetime.now(UTC)))).result
    except Exception:
        logger.exception("usage publication failed (the next run retries from the same intervals)")
        return
    if report.published or report.unmeasured:
        logger.info("usage: %d records published, %d gaps, services not measured: %s",
                    len(report.published), report.gaps, report.unmeasured or "none")


async def _hub_retention(hub: HubStore, days: float) -> None:
    deliveries, rows = await asyncio.to_thread(hub.prune, datetime.now(UTC) - timedelta(days=days))
    if deliveries or rows:
        logger.info("hub retention: removed %d deliveries, %d outbox rows (older than %g days)", deliveries, rows, days)


def trap_receiver(settings: AgentSettings, targets: dict[str, DeviceTarget]) -> TrapReceiver:
    """A receiver accepting the inventory's v1/v2c communities and v3 users: v3 informs from any
    device with the user, v3 traps from the devices whose inventory entry gives their engine id.
    An inventory without communities accepts no v1/v2c notification (never any community)."""
    communities = {t.snmp.community.reveal() for t in targets.values() if t.snmp and t.snmp.community}
    if not communities:
        logger.info("no SNMP community in the inventory: v1/v2c notifications are refused")
    v3 = [t.snmp for t in targets.values() if t.snmp and t.snmp.version == "v3" and t.snmp.user]
    informs = {a.user: V3TrapUser(a) for a in v3}
    traps = {(a.user, a.engine_id): V3TrapUser(a, a.engine_id) for a in v3 if a.engine_id}
    return TrapReceiver(settings.trap_host, settings.trap_port, communities, [*informs.values(), *traps.values()])


async def start_provisioning(agent: Agent, scheduler: AsyncIOScheduler) -> OrderScheduler | None:
    """Finish what a killed agent left, then run orders as they come; None when provisioning cannot
    start here (no catalog): everything else of the agent still runs, and the reason is logged."""
    context = agent.provisioning
    if context is None:
        return None
    try:
        activator = context.activator
    except ConfigError as exc:
        logger.error("provisioning disabled: %s", "; ".join(str(p) for p in exc.problems))
        return None
    done = await recover(activator)
    if done.completed or done.rolled_back or done.untouched:
        logger.warning("recovered in-flight orders: completed %s, rolled back %s, untouched %s",
                       done.completed, done.rolled_back, done.untouched)
    orders = OrderScheduler(activator, scheduler)
    orders.start()
    return orders


async def run(
    settings: AgentSettings, *, stop: asyncio.Event | None = None, on_ready: Callable[[Agent], None] | None = None
) -> None:
    """Run until ``stop`` is set or SIGTERM/SIGINT arrives."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = BlockingRunner(settings.worker_threads)
    agent = bootstrap(settings, registry=build_registry(runner), upgrade_schema=True, runner=runner)
    manager = SnmpManager()
    scheduler = AsyncIOScheduler(event_loop=loop, timezone="UTC")
    jobs = RunningJobs()
    server: _ApiServer | None = None
    api_task: asyncio.Task[None] | None = None
    poller: Poller | None = None
    receiver: TrapReceiver | None = None
    prober: LatencyProber | None = None
    pipeline_task: asyncio.Task[None] | None = None
    hub_tasks: list[asyncio.Task[None]] = []
    orders: OrderScheduler | None = None
    try:
        inventory = read_inventory(settings)
        await agent.bus.handle(SyncInventory(device_specs(inventory)))
        targets = {name: inventory.target(name) for name in inventory.names()}
        snmp_targets = {name: t for name, t in targets.items() if Protocol.SNMP in t.protocols()}
        names = InterfaceNames(agent.uow)
        poller = Poller(
            snmp_targets,
            PerfStore(agent.engine),
            manager=manager,
            bus=agent.bus,
            metrics=agent.metrics,
            max_concurrent=settings.max_concurrent_polls,
            poll_timeout_s=settings.device_timeout_s,
            counter_cache_s=settings.counter_cache_s,
            names=names,
        )
        with agent.uow as uow:
            poller.remember_open_alarms({a.reduction_key for a in uow.alarms.list(active_only=True, limit=100_000)})
        receiver = trap_receiver(settings, targets)
        await receiver.start()
        pipeline = FaultPipeline(agent.bus, receiver, {t.host: n for n, t in targets.items()}, names, agent.metrics)
        pipeline_task = asyncio.create_task(pipeline.run(stop))
        hub_tasks = [
            asyncio.create_task(run_dispatcher(agent, stop, poll_interval_s=0.5, hub=hub))
            for hub in (ALARM_HUB, RESOURCE_HUB, ORDER_HUB, SERVICE_HUB, USAGE_HUB)
        ]
        schedule(scheduler, agent, poller, jobs)
        orders = await start_provisioning(agent, scheduler)
        if settings.latency_probes:
            prober = LatencyProber(settings.latency_probes, targets, agent.registry, LatencyStore(agent.engine))
            scheduler.add_job(
                jobs.wrap(prober.run),
                "interval",
                id="latency",
                seconds=settings.latency_interval_s,
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC) + timedelta(seconds=1),
            )
        app = create_app(agent)
        if orders is not None:
            app.state.order_worker = orders.enqueue
        server = _ApiServer(
            uvicorn.Config(app, host=settings.api_host, port=settings.api_port, log_level="warning", lifespan="off")
        )
        api_task = asyncio.create_task(server.serve())
        scheduler.start()
        while not server.started and not api_task.done():  # noqa: ASYNC110 - uvicorn exposes only a flag
            await asyncio.sleep(0.05)
        if api_task.done():
            api_task.result()  # the API could not start (port in use...): raise it
        logger.info(
            "agent running: %d devices polled every %gs, API on %s:%d",
            len(snmp_targets),
            settings.poll_interval_s,
            settings.api_host,
            settings.api_port,
        )
        if on_ready is not None:
            on_ready(agent)
        await stop.wait()
    finally:
        if scheduler.running:
            scheduler.pause()  # no new runs; the running ones finish (each poll has its own deadline)
            await jobs.drain(settings.device_timeout_s + 5)
            if orders is not None:
                await orders.drain(settings.provisioning_check_timeout_s + 60)
            scheduler.shutdown(wait=False)
        if server is not None and api_task is not None:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(api_task, 10)
        if pipeline_task is not None:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pipeline_task, 10)
        stop.set()
        for task in hub_tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 10)
        if agent.provisioning is not None:
            await agent.provisioning.close()
        if receiver is not None:
            receiver.close()
        if poller is not None:
            await poller.flush()
        if prober is not None:
            await prober.close()
        manager.close()
        runner.shutdown()
        agent.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        logger.info("agent stopped")
