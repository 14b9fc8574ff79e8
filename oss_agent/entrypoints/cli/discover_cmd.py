"""``oss-agent discover``: read every inventory device (and crawl LLDP) into the resource inventory."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from oss_agent.bootstrap import bootstrap, read_inventory
from oss_agent.config import load_settings
from oss_agent.discovery.service import DeviceDiscoveryResult, discover_all
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json, table

app = typer.Typer(help="Discover devices, interfaces, neighbours and configurations.")

CRAWL_OPTION = typer.Option(
    "--crawl", help="follow LLDP management addresses inside this subnet (repeatable; default: the setting)"
)


def _configs(result: DeviceDiscoveryResult) -> str:
    """``v3 drift, netconf v1``: each datastore's latest version, marked while it differs from the approved one."""
    return ", ".join(
        f"{'' if name == 'running' else name + ' '}v{status['version']}{' drift' if status['drifted'] else ''}"
        for name, status in sorted(result.configs.items(), key=lambda item: item[0] != "running")
    )


@app.callback(invoke_without_command=True)
def discover(
    fmt: Format = FORMAT_OPTION,
    crawl: Annotated[list[str] | None, CRAWL_OPTION] = None,
    no_crawl: Annotated[bool, typer.Option("--no-crawl", help="do not crawl, whatever the settings say")] = False,
) -> None:
    """Discover every device; exits 1 when a device failed (the others are still stored)."""
    settings = load_settings(STATE.config)
    inventory = read_inventory(settings)
    runner = BlockingRunner(settings.worker_threads)
    agent = bootstrap(settings, registry=build_registry(runner), upgrade_schema=True)
    subnets = [] if no_crawl else crawl
    try:
        with Progress(
            TextColumn("[bold]discover"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=STATE.err,
            transient=fmt is Format.JSON,
        ) as bar:
            task = bar.add_task("", total=len(inventory.devices))

            def advance(result: DeviceDiscoveryResult, total: int) -> None:
                mark = "[green]ok[/green]" if result.ok else "[red]failed[/red]"
                bar.update(task, total=total, advance=1, description=f"{result.device} {mark}")

            results = asyncio.run(discover_all(agent, inventory, crawl_subnets=subnets, progress=advance))
    finally:
        agent.close()
        runner.shutdown()
    if fmt is Format.JSON:
        emit_json([r.as_dict() for r in results])
    else:
        STATE.out.print(
            table(
                f"Discovery ({sum(r.ok for r in results)}/{len(results)} devices ok)",
                [
                    "device",
                    "status",
                    "origin",
                    "interfaces",
                    "addresses",
                    "lldp",
                    "routing",
                    "config",
                    "changes",
                    "time s",
                    "error",
                ],
                [
                    [
                        r.device,
                        r.status,
                        r.origin if r.found_from is None else f"crawl from {r.found_from}",
                        r.interfaces,
                        r.addresses,
                        r.lldp_neighbors,
                        r.routing_neighbors,
                        _configs(r),
                        r.changes,
                        r.duration_s,
                        escape(r.error or ""),  # a device's words: no Rich markup read in them
                    ]
                    for r in results
                ],
            )
        )
    if not all(r.ok for r in results):
        raise typer.Exit(1)
