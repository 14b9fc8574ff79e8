"""``oss-agent topology export``: the discovered topology as JSON or as an SVG picture."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from oss_agent.bootstrap import bootstrap
from oss_agent.config import load_settings
from oss_agent.discovery.svg import render_svg
from oss_agent.discovery.topology import load_topology
from oss_agent.entrypoints.cli.output import STATE

app = typer.Typer(help="The discovered topology.", no_args_is_help=True)


class ExportFormat(StrEnum):
    JSON = "json"
    SVG = "svg"


@app.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="json (nodes, links) or svg")] = ExportFormat.JSON,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write; default: stdout")] = None,
) -> None:
    """Export nodes and links found by the last discovery (run 'oss-agent discover' first)."""
    settings = load_settings(STATE.config)
    agent = bootstrap(settings, require_schema=True)
    try:
        topology = load_topology(agent.uow)
    finally:
        agent.close()
    text = render_svg(topology) if fmt is ExportFormat.SVG else json.dumps(topology, indent=2, sort_keys=True) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text)
    STATE.err.print(
        f"wrote {output} ({len(topology['nodes'])} nodes, {len(topology['links'])} links, "
        f"{len(topology['adjacencies'])} routing adjacencies)"
    )
