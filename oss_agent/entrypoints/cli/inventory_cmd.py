"""``oss-agent inventory``: the devices the agent manages."""

from __future__ import annotations

import asyncio
from typing import Any

import typer
from rich.markup import escape

from oss_agent.bootstrap import bootstrap, device_specs, read_inventory
from oss_agent.config import DeviceConfig, load_settings
from oss_agent.domain.commands import SyncInventory
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json, table

app = typer.Typer(help="The device inventory.", no_args_is_help=True)


def _access(device: DeviceConfig) -> str:
    parts = []
    if device.snmp is not None:
        parts.append(f"snmp {device.snmp.version}")
    if device.ssh is not None:
        parts.append("ssh")
    if device.netconf is not None:
        parts.append("netconf")
    return ", ".join(parts)


def _row(device: DeviceConfig) -> dict[str, Any]:
    return {
        "name": device.name,
        "host": device.host,
        "platform": device.platform.value,
        "site": device.site,
        "role": device.role,
        "tags": list(device.tags),
        "access": _access(device),
    }


@app.command("list")
def list_devices(fmt: Format = FORMAT_OPTION) -> None:
    """List the devices of the inventory file."""
    settings = load_settings(STATE.config)
    inventory = read_inventory(settings)
    rows = [_row(device) for device in inventory.devices]
    if fmt is Format.JSON:
        emit_json(rows)
        return
    STATE.out.print(
        table(
            f"Inventory: {escape(str(inventory.source))} ({len(rows)} devices)",
            ["name", "host", "platform", "site", "role", "tags", "access"],
            [
                [escape(str(r[k])) for k in ("name", "host", "platform", "site", "role")]
                + [escape(",".join(r["tags"])), escape(str(r["access"]))]  # the file's words: no Rich markup read
                for r in rows
            ],
        )
    )


@app.command("sync")
def sync(fmt: Format = FORMAT_OPTION) -> None:
    """Store the inventory's devices in the database (adds, updates, removes), keeping history."""
    settings = load_settings(STATE.config)
    inventory = read_inventory(settings)
    agent = bootstrap(settings, upgrade_schema=True)
    try:
        report = asyncio.run(agent.bus.handle(SyncInventory(device_specs(inventory))))
    finally:
        agent.close()
    summary = report.result
    if fmt is Format.JSON:
        emit_json(summary)
        return
    STATE.out.print(
        f"inventory synced: {len(summary['added'])} added, {len(summary['updated'])} updated, "
        f"{len(summary['removed'])} removed"
    )
