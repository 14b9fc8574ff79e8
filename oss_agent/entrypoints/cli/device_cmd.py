"""``oss-agent device``: ask one device directly (facts, interfaces, a command, its configuration).

Each command picks its driver with the registry's protocol preferences for the job, so the same
command works over NAPALM, NETCONF, CLI or SNMP depending on what the device offers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape

from adapters import Capability, Driver, Protocol
from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from adapters.redact import mask_config
from oss_agent.bootstrap import read_inventory
from oss_agent.config import load_settings
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json, table

app = typer.Typer(help="Ask one device directly.", no_args_is_help=True)

T = TypeVar("T")
NAME = Annotated[str, typer.Argument(help="device name from the inventory")]
VIA_OPTION = typer.Option(None, "--via", help="use this protocol instead of the preferred one")


def _with_driver(
    name: str, job: Capability, work: Callable[[Driver], Awaitable[T]], via: Protocol | None = None
) -> tuple[str, T]:
    """Run ``work`` on a driver chosen for ``job``; returns the protocol used and the result."""
    settings = load_settings(STATE.config)
    inventory = read_inventory(settings)
    if name not in inventory.names():
        raise typer.BadParameter(f"no device {name!r} in {inventory.source}", param_hint="NAME")
    target = inventory.target(name)
    runner = BlockingRunner(settings.worker_threads)
    registry = build_registry(runner)
    driver = registry.create(target, via) if via is not None else registry.for_job(target, job)

    async def run() -> T:
        try:
            await driver.open()
            return await work(driver)
        finally:
            await driver.close()

    try:
        return str(driver.protocol), asyncio.run(run())
    finally:
        runner.shutdown()


@app.command()
def facts(name: NAME, fmt: Format = FORMAT_OPTION, via: Protocol | None = VIA_OPTION) -> None:
    """What the device says about itself."""
    protocol, result = _with_driver(name, Capability.FACTS, lambda d: d.get_facts(), via)
    data = {
        "device": name,
        "protocol": protocol,
        "hostname": result.hostname,
        "vendor": result.vendor,
        "model": result.model,
        "os_version": result.os_version,
        "serial": result.serial,
        "uptime_s": result.uptime_s,
    }
    if fmt is Format.JSON:
        emit_json(data)
        return
    rows = [[field, None if value is None else escape(str(value))] for field, value in data.items()]
    STATE.out.print(table(f"{escape(name)} facts (via {protocol})", ["field", "value"], rows))


@app.command()
def interfaces(name: NAME, fmt: Format = FORMAT_OPTION, via: Protocol | None = VIA_OPTION) -> None:
    """The device's interfaces with state, speed and addresses."""
    protocol, result = _with_driver(name, Capability.INTERFACES, lambda d: d.get_interfaces(), via)
    rows: list[dict[str, Any]] = [
        {
            "name": i.name,
            "admin_up": i.admin_up,
            "oper_status": i.oper_status.value,
            "speed_bps": i.speed_bps,
            "mtu": i.mtu,
            "mac": i.mac,
            "description": i.description,
            "addresses": [str(a.address) for a in i.addresses],
        }
        for i in result
    ]
    if fmt is Format.JSON:
        emit_json({"device": name, "protocol": protocol, "interfaces": rows})
        return
    columns = ["name", "admin", "oper", "speed", "mtu", "addresses", "description"]
    STATE.out.print(
        table(
            f"{escape(name)} interfaces (via {protocol})",
            columns,
            [  # what the device says is printed as it is: a description "[uplink]" is no Rich markup
                [
                    escape(r["name"]),
                    "up" if r["admin_up"] else "down",
                    r["oper_status"],
                    r["speed_bps"],
                    r["mtu"],
                    " ".join(r["addresses"]),
                    escape(r["description"] or ""),
                ]
                for r in rows
            ],
        )
    )


@app.command()
def run(
    name: NAME,
    command: Annotated[str, typer.Argument(help="the command, quoted")],
    fmt: Format = FORMAT_OPTION,
    via: Protocol | None = VIA_OPTION,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="print passwords, keys and communities as the device says them")
    ] = False,
) -> None:
    """Run one command on the device's CLI and print its output, its secrets hidden.

    A ``show running-config`` or a ``cat snmpd.conf`` answers with the device's keys and communities,
    which would land in a terminal's scrollback or a pasted ticket: the output goes through the same
    filter as a stored configuration unless ``--show-secrets`` asks for it raw."""
    protocol, output = _with_driver(name, Capability.CLI, lambda d: d.run_command(command), via)
    if not show_secrets:
        output = mask_config(output)
    if fmt is Format.JSON:
        emit_json({"device": name, "protocol": protocol, "command": command, "output": output})
        return
    typer.echo(output)


@app.command()
def config(name: NAME, fmt: Format = FORMAT_OPTION, via: Protocol | None = VIA_OPTION) -> None:
    """The device's running configuration, its secrets hidden."""
    protocol, result = _with_driver(name, Capability.CONFIG_READ, lambda d: d.get_config(), via)
    text = mask_config(result.text)
    if fmt is Format.JSON:
        emit_json({"device": name, "protocol": protocol, "format": result.format, "config": text})
        return
    typer.echo(text)
