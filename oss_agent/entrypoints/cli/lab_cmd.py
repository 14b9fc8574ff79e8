"""``oss-agent lab``: build, inspect and remove the namespace lab, using the agent's own settings.

``lab up`` writes the lab's inventory where the settings look for it, so every other command
works against the lab right after, with no flags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from lab import LabError, LabOptions, down, status, up
from oss_agent.config import AgentSettings, load_settings
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json, table
from oss_agent.errors import OssAgentError

app = typer.Typer(
    help="The lab: real routers (FRR, snmpd, sshd, netconfd, lldpd) in network namespaces.", no_args_is_help=True
)
T = TypeVar("T")

PREFIX = typer.Option("oss", "--prefix", help="name prefix of the lab's namespaces, veths and bridge")
MGMT = typer.Option("198.51.100.0/24", "--mgmt-subnet", help="management bridge subnet in the root namespace")
LINKS = typer.Option("198.18.0.0/15", "--link-subnet", help="subnet for links and loopbacks inside the lab")


def options(settings: AgentSettings, prefix: str, mgmt: str, links: str) -> LabOptions:
    return LabOptions(
        data_dir=settings.data_dir,
        inventory_path=settings.inventory_path,
        trap_host=None,
        trap_port=settings.trap_port,
        prefix=prefix,
        mgmt_subnet=mgmt,
        link_subnet=links,
    )


def _lab(call: Callable[[], T]) -> T:
    try:
        return call()
    except LabError as exc:
        raise OssAgentError(str(exc)) from exc


@app.command("up")
def lab_up(
    topology: Annotated[str | None, typer.Argument(help="default, scale:N, or a topology YAML file")] = None,
    prefix: str = PREFIX,
    mgmt_subnet: str = MGMT,
    link_subnet: str = LINKS,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Build the lab (a no-op when it already runs with the same topology) and write its inventory."""
    opts = options(load_settings(STATE.config), prefix, mgmt_subnet, link_subnet)
    report = _lab(lambda: up(topology, opts))
    info = {
        "topology": report.topology,
        "devices": [d.name for d in report.devices],
        "reused": report.reused,
        "elapsed_s": round(report.elapsed_s, 2),
        "inventory": str(report.inventory_path),
    }
    if fmt is Format.JSON:
        emit_json(info)
        return
    verb = "already running" if report.reused else f"up in {report.elapsed_s:.1f} s"
    STATE.out.print(f"lab '{report.topology}' {verb}: {len(report.devices)} devices; inventory {report.inventory_path}")


@app.command("status")
def lab_status(
    prefix: str = PREFIX, mgmt_subnet: str = MGMT, link_subnet: str = LINKS, fmt: Format = FORMAT_OPTION
) -> None:
    """Each device's daemons and reachability."""
    opts = options(load_settings(STATE.config), prefix, mgmt_subnet, link_subnet)
    states = _lab(lambda: status(opts))
    rows = [
        {
            "name": s.name,
            "namespace": s.namespace,
            "host": s.mgmt_host,
            "daemons": s.daemons,
            "ping": s.ping_ok,
            "snmp": s.snmp_ok,
            "healthy": s.healthy,
        }
        for s in states
    ]
    if fmt is Format.JSON:
        emit_json(rows)
    else:

        def mark(ok: bool) -> str:
            return "[green]ok[/green]" if ok else "[red]down[/red]"

        STATE.out.print(
            table(
                f"Lab {prefix}: {sum(s.healthy for s in states)}/{len(states)} healthy",
                ["device", "host", "daemons", "ping", "snmp"],
                [
                    [
                        s.name,
                        s.mgmt_host,
                        " ".join(f"{d}:{'up' if ok else 'DOWN'}" for d, ok in s.daemons.items()),
                        mark(s.ping_ok),
                        mark(s.snmp_ok),
                    ]
                    for s in states
                ],
            )
        )
    if states and not all(s.healthy for s in states):
        raise typer.Exit(1)


@app.command("down")
def lab_down(
    prefix: str = PREFIX, mgmt_subnet: str = MGMT, link_subnet: str = LINKS, fmt: Format = FORMAT_OPTION
) -> None:
    """Remove every namespace, link, process and file the lab made (also after a crash)."""
    opts = options(load_settings(STATE.config), prefix, mgmt_subnet, link_subnet)
    report = _lab(lambda: down(opts))
    info = {
        "namespaces": list(report.namespaces),
        "links": list(report.links),
        "processes": report.processes,
        "files": list(report.files),
        "elapsed_s": round(report.elapsed_s, 2),
    }
    if fmt is Format.JSON:
        emit_json(info)
        return
    STATE.out.print(
        f"lab down in {report.elapsed_s:.1f} s: removed {len(report.namespaces)} namespaces, "
        f"{len(report.links)} links, {report.processes} processes, {len(report.files)} files"
    )
