"""``oss-agent bench``: measurements side by side with the peers named in the issues (not tests)."""

from __future__ import annotations

from typing import Annotated

import typer

from oss_agent.entrypoints.cli.output import STATE, table

app = typer.Typer(help="Benchmarks against real peers on the lab.", no_args_is_help=True)


@app.command("poll")
def poll(
    devices: Annotated[int, typer.Option("--devices", "-n", min=1, max=1000, help="scale-lab devices to walk")] = 100,
    parallel: Annotated[int, typer.Option(help="parallel snmpbulkwalk processes / exporter scrapes")] = 16,
    concurrent: Annotated[int, typer.Option(help="devices the agent walks at once")] = 64,
    keep_lab: Annotated[bool, typer.Option(help="leave the scale lab running afterwards")] = False,
) -> None:
    """Walk ifTable + ifXTable of N devices: this agent, snmpbulkwalk, snmp_exporter; last line is JSON."""
    from oss_agent.entrypoints.bench import poll as bench_poll

    rows, summary, lab_up_s = bench_poll.bench(devices, parallel, concurrent, keep_lab)
    STATE.out.print(f"scale lab of {devices} devices up in {lab_up_s:.1f} s")
    STATE.out.print(
        table(
            f"ifTable + ifXTable walk of {devices} devices (GETBULK, max-repetitions 25)",
            ["client", "devices", "varbinds", "seconds", "varbinds/s", "devices/s", "agent ÷ client"],
            rows,
        )
    )
    typer.echo(bench_poll.json_line(summary))
