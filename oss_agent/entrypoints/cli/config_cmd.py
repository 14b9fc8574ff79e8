"""``oss-agent config``: check settings and inventory files without writing anything."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from oss_agent.config import load_settings
from oss_agent.config.inventory import inventory_from, looks_like_inventory
from oss_agent.config.settings import find_settings_file
from oss_agent.config.yamlsrc import LocatedYaml, load_located
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json
from oss_agent.errors import ConfigError

app = typer.Typer(help="Check configuration files.", no_args_is_help=True)


class Role(StrEnum):
    SETTINGS = "settings"
    INVENTORY = "inventory"


def _same(path: Path, other: Path | None) -> bool:
    if other is None:
        return False
    try:
        return path.samefile(other)
    except OSError:
        return path.resolve() == other.resolve()


def _role(path: Path, doc: LocatedYaml, given: Role | None) -> Role:
    """What the file will be used as: as told (``--as``), as the active configuration uses it, or,
    for any other file, as its shape says; a file that says nothing (empty, not a mapping) is refused."""
    if given is not None:
        return given
    settings_file = find_settings_file(STATE.config, os.environ)
    try:
        inventory_file: Path | None = load_settings(STATE.config).inventory_path
    except ConfigError:
        inventory_file = None  # the settings are broken: checking them will say so
    if _same(path, inventory_file):
        return Role.INVENTORY
    if _same(path, settings_file):
        return Role.SETTINGS
    if isinstance(doc.data, dict) and doc.data:
        return Role.INVENTORY if looks_like_inventory(doc.data) else Role.SETTINGS
    raise ConfigError(
        [
            doc.problem(
                (),
                "cannot tell whether this is agent settings or an inventory (it is empty or not a mapping, and "
                "it is neither the active settings file nor the active inventory): say which with --as",
            )
        ]
    )


def _check_file(path: Path, given: Role | None = None) -> dict[str, Any]:
    doc = load_located(path)
    if _role(path, doc, given) is Role.INVENTORY:
        inventory = inventory_from(doc)
        return {
            "file": str(path),
            "kind": "inventory",
            "devices": len(inventory.devices),
            "secret_references": len(inventory.secrets),
            "ok": True,
        }
    settings = load_settings(path)
    return {
        "file": str(path),
        "kind": "settings",
        "ok": True,
        "data_dir": str(settings.data_dir),
        "inventory_file": str(settings.inventory_path),
    }


@app.command("check")
def check(
    files: Annotated[
        list[Path] | None, typer.Argument(help="settings or inventory YAML files; default: the active ones")
    ] = None,
    role: Annotated[
        Role | None,
        typer.Option(
            "--as",
            help="check FILES as this (default: as the active configuration uses them, else by their content)",
        ),
    ] = None,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Validate settings/inventory files as they will be used: exit 1 naming the file, line and field of each
    problem. Without FILES: the active settings and the inventory they point at (which must exist)."""
    results: list[dict[str, Any]] = []
    if files:
        results = [_check_file(path, role) for path in files]
    else:
        settings = load_settings(STATE.config)
        results.append({"file": str(STATE.config or "(defaults and environment)"), "kind": "settings", "ok": True})
        if not settings.inventory_path.exists():
            from oss_agent.bootstrap import read_inventory

            read_inventory(settings)  # raises the error every command that needs the inventory gives
        results.append(_check_file(settings.inventory_path, Role.INVENTORY))
    if fmt is Format.JSON:
        emit_json(results)
        return
    for result in results:
        extra = f", {result['devices']} devices" if result["kind"] == "inventory" else ""
        STATE.out.print(f"[green]ok[/green] {result['file']} ({result['kind']}{extra})")


DEVICE_ARG = Annotated[str, typer.Argument(help="device name")]
DATASTORE_OPTION = Annotated[
    str,
    typer.Option(
        "--datastore",
        help="which configuration: 'running' (the device's own, over CLI/NAPALM) or 'netconf' (NETCONF running)",
    ),
]


@app.command("diff")
def diff(
    device: DEVICE_ARG,
    old: Annotated[int | None, typer.Argument(help="older version (default: the one before NEW)")] = None,
    new: Annotated[int | None, typer.Argument(help="newer version (default: the latest)")] = None,
    datastore: DATASTORE_OPTION = "running",
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Show how a device's stored running configuration changed (unified diff, volatile lines ignored)."""
    from oss_agent.bootstrap import bootstrap
    from oss_agent.discovery.configs import config_diff

    agent = bootstrap(load_settings(STATE.config), require_schema=True)
    try:
        result = config_diff(agent.uow, device, old, new, datastore)
    finally:
        agent.close()
    if fmt is Format.JSON:
        emit_json(result)
        return
    typer.echo(result["diff"] or f"{device}: versions {result['old']} and {result['new']} do not differ\n", nl=False)


@app.command("approve")
def approve(
    device: DEVICE_ARG,
    version: Annotated[int | None, typer.Argument(help="version to approve (default: the latest)")] = None,
    user: Annotated[str, typer.Option("--user", help="who approves (default: $USER)")] = "",
    datastore: DATASTORE_OPTION = "running",
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Approve a configuration version of one datastore: its drift is measured against it from now on."""
    import asyncio
    import getpass
    from datetime import UTC, datetime

    from oss_agent.bootstrap import bootstrap
    from oss_agent.domain.commands import ApproveConfiguration

    agent = bootstrap(load_settings(STATE.config), require_schema=True)
    try:
        command = ApproveConfiguration(device, user or getpass.getuser(), datetime.now(UTC), version, datastore)
        approved = asyncio.run(agent.bus.handle(command)).result
    finally:
        agent.close()
    if fmt is Format.JSON:
        emit_json({"device": device, "datastore": datastore, "approved_version": approved, "user": command.user})
        return
    which = "configuration" if datastore == "running" else f"{datastore} configuration"
    STATE.out.print(f"{device}: {which} version {approved} approved by {command.user}")
