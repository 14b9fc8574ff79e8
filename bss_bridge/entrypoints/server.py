"""``oss-bss run``: the BSS as its own process.

One asyncio loop: the database migrated, the catalog file loaded (what it defines and the database
lacks is created), the API under uvicorn on its own port, the hubs' delivery loop, and the pruning
of delivered notifications. SIGTERM and SIGINT stop it cleanly.

``--with-agent`` also starts the agent (``oss-agent run``, its own process and database) and stops
it with the BSS: one command for the demo. The agent is found as a program, never imported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bss_bridge.bootstrap import Bss, bootstrap
from bss_bridge.config.catalog_file import read_catalog
from bss_bridge.config.settings import BssSettings
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.commands import Command
from bss_bridge.entrypoints.api import create_app
from bss_bridge.errors import ConfigError
from bss_bridge.hub.dispatcher import Dispatcher
from bss_bridge.storage.engine import safe_url

logger = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600.0


class _ApiServer(uvicorn.Server):
    """uvicorn without its own signal handling: the process owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def _prune(bss: Bss, stop: asyncio.Event) -> None:
    while not stop.is_set():
        before = datetime.now(UTC) - timedelta(days=bss.settings.hub_retention_days)
        removed = await asyncio.to_thread(bss.hub.prune, before)
        if removed:
            logger.info("hub retention: %d delivered notifications removed", removed)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PRUNE_EVERY_S)


def schedule_billing(bss: Bss) -> AsyncIOScheduler:
    """The scheduled billing jobs: the rating pass, the bill run (each period is billed once, so
    running it often only bills what became due) and the dunning check. One instance of each at a
    time; missed runs coalesced."""
    settings = bss.settings
    scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    jobs = (
        ("rate usage", bc.RateUsage, settings.rate_usage_every_s),
        ("bill run", bc.RunBilling, settings.bill_run_every_s),
        ("dunning", bc.RunDunning, settings.dunning_every_s),
    )
    for name, command, every in jobs:

        async def job(name: str = name, command: type[Command] = command) -> None:
            try:
                await bss.handle(command())
            except Exception:
                logger.exception("scheduled %s failed", name)

        scheduler.add_job(job, "interval", seconds=every, id=name, next_run_time=datetime.now(UTC))
    return scheduler


async def load_catalog(bss: Bss) -> None:
    path = bss.settings.catalog_file
    if path is None:
        logger.info("no catalog_file configured: the catalog is what the database holds")
        return
    report = await bss.handle(read_catalog(path))
    logger.info("catalog %s: %d created", path, len(report.created))
    for name, rule in report.revalidated.items():
        logger.warning("catalog %s: %s values are now checked by %s", path, name, rule)
    for name, products in report.not_revalidated.items():
        logger.warning(
            "catalog %s checks %s otherwise, which values already sold fail: the database's rule kept until "
            "they are changed (then start again, or 'oss-bss catalog load'): %s",
            path,
            name,
            "; ".join(products),
        )
    if report.differs:
        logger.warning(
            "catalog %s differs from the database for %s: the database's kept "
            "('oss-bss catalog load --apply' applies the file)",
            path,
            ", ".join(report.differs),
        )
    if report.refused:
        logger.warning(
            "catalog %s changes what products were sold under for %s: refused, the database's kept "
            "(a changed or removed characteristic, another service specification, or a new required one "
            "without a default: define a new specification; an offering's specification, bundle, fixed "
            "characteristics or SLA: define a new offering)",
            path,
            ", ".join(report.refused),
        )


async def run(
    settings: BssSettings, *, stop: asyncio.Event | None = None, on_ready: Callable[[Bss], None] | None = None
) -> None:
    """Serve until ``stop`` is set or SIGTERM/SIGINT arrives."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bss = bootstrap(settings, upgrade_schema=True)
    tasks: list[asyncio.Task[None]] = []
    server = _ApiServer(
        uvicorn.Config(
            create_app(bss), host=settings.api_host, port=settings.api_port, log_level="warning", lifespan="off"
        )
    )
    try:
        await load_catalog(bss)
        api = asyncio.create_task(server.serve())
        tasks = [api, asyncio.create_task(Dispatcher(bss.hub).run(stop)), asyncio.create_task(_prune(bss, stop))]
        while not server.started and not api.done():  # noqa: ASYNC110 - uvicorn exposes only a flag
            await asyncio.sleep(0.05)
        if api.done():
            api.result()  # the API could not start (port in use...): raise it
        logger.info(
            "BSS running: API on %s:%d, database %s",
            settings.api_host,
            settings.api_port,
            safe_url(bss.engine),
        )
        scheduler = schedule_billing(bss)
        scheduler.start()
        if on_ready is not None:
            on_ready(bss)
        await stop.wait()
        scheduler.shutdown(wait=False)
    finally:
        server.should_exit = True
        stop.set()
        for task in tasks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 10)
        bss.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        logger.info("BSS stopped")


def agent_program() -> list[str]:
    """``oss-agent run``, from this environment's scripts or the PATH."""
    beside = Path(sys.executable).with_name("oss-agent")
    found = str(beside) if beside.exists() else shutil.which("oss-agent")
    if found is None:
        raise ConfigError(["--with-agent: no 'oss-agent' program here or on the PATH (install the agent)"])
    return [found, "run"]


async def run_with_agent(settings: BssSettings, agent_args: list[str] | None = None) -> int:
    """The agent as a child process and the BSS here; when either stops, both stop. Returns the
    agent's exit status (0 when the BSS was asked to stop)."""
    command = agent_program() + (agent_args or [])
    env = os.environ.copy()
    env.setdefault("OSS_AGENT_BSS_CONSOLE_URL", f"{settings.base_url.rstrip('/')}/ui/")  # the agent's menu links here
    agent = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: ASYNC220 - polled below
    logger.info("agent started (pid %d): %s", agent.pid, " ".join(command))
    stop = asyncio.Event()

    async def watch() -> None:
        while agent.poll() is None and not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
        if agent.returncode is not None:
            logger.error("the agent exited with status %d: stopping the BSS", agent.returncode)
            stop.set()

    watcher = asyncio.create_task(watch())
    try:
        await run(settings, stop=stop)
    finally:
        stop.set()
        await watcher
        if agent.poll() is None:
            agent.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(agent.wait, 30)
            except subprocess.TimeoutExpired:
                agent.kill()
                await asyncio.to_thread(agent.wait)
    return 0 if agent.returncode in (0, -signal.SIGTERM) else int(agent.returncode or 1)
