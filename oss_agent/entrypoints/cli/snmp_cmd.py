"""``oss-agent snmp``: direct SNMP operations on an inventory device (numeric OIDs)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from rich.markup import escape

from adapters import Protocol
from adapters.snmp import SnmpDriver, SnmpManager, ber
from oss_agent.bootstrap import read_inventory
from oss_agent.config import load_settings
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json, table
from oss_agent.errors import ConfigError, ConfigProblem

app = typer.Typer(help="SNMP operations on a device.", no_args_is_help=True)

TYPE_NAMES = {
    ber.TAG_INTEGER: "INTEGER",
    ber.TAG_OCTET_STRING: "STRING",
    ber.TAG_NULL: "NULL",
    ber.TAG_OID: "OID",
    ber.TAG_IPADDRESS: "IpAddress",
    ber.TAG_COUNTER32: "Counter32",
    ber.TAG_GAUGE32: "Gauge32",
    ber.TAG_TIMETICKS: "Timeticks",
    ber.TAG_OPAQUE: "Opaque",
    ber.TAG_COUNTER64: "Counter64",
    ber.TAG_NO_SUCH_OBJECT: "noSuchObject",
    ber.TAG_NO_SUCH_INSTANCE: "noSuchInstance",
    ber.TAG_END_OF_MIB_VIEW: "endOfMibView",
}


def render(tag: int, value: ber.Value) -> str:
    if isinstance(value, bytes):
        if tag == ber.TAG_IPADDRESS and len(value) == 4:
            return ".".join(map(str, value))
        printable = all(32 <= b < 127 or b in (9, 10, 13) for b in value)
        return value.decode() if printable else value.hex(":")
    if isinstance(value, tuple):
        return ber.oid_str(value)
    return "" if value is None else str(value)


@app.command("walk")
def walk(
    device: Annotated[str, typer.Argument(help="inventory device name")],
    oid: Annotated[str, typer.Argument(help="numeric OID, e.g. 1.3.6.1.2.1.2.2 (ifTable)")],
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Walk a subtree (GETBULK on v2c/v3, GETNEXT on v1)."""
    try:
        root = ber.parse_oid(oid)
    except ValueError as exc:
        raise ConfigError([ConfigProblem("command line", "OID", str(exc))]) from exc
    settings = load_settings(STATE.config)
    inventory = read_inventory(settings)
    try:
        target = inventory.target(device)
    except KeyError:
        raise ConfigError([ConfigProblem(inventory.source, "devices", f"no device named {device!r}")]) from None
    if Protocol.SNMP not in target.protocols():
        raise ConfigError([ConfigProblem(inventory.source, f"{device}.snmp", "device has no SNMP access")])

    async def run() -> list[ber.VarBind]:
        manager = SnmpManager()
        try:
            return await SnmpDriver(target, manager).walk(root)
        finally:
            manager.close()

    varbinds = asyncio.run(run())
    rows: list[dict[str, Any]] = [
        {"oid": ber.oid_str(o), "type": TYPE_NAMES.get(t, hex(t)), "value": render(t, v)} for o, t, v in varbinds
    ]
    if fmt is Format.JSON:
        emit_json(rows)
        return
    STATE.out.print(
        table(
            f"{escape(device)} {escape(oid)}: {len(rows)} objects",
            ["oid", "type", "value"],
            [[r["oid"], r["type"], escape(str(r["value"]))] for r in rows],  # a device's words: no markup read
        )
    )
