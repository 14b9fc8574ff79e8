"""``oss-agent bench``: measurements side by side with the peers named in the issues (not tests)."""

from __future__ import annotations

from pathlib import Path
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
    from oss_agent.entrypoints import runtime
    from oss_agent.entrypoints.bench import poll as bench_poll

    runtime.tune_for_throughput()  # as `oss-agent run` does
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


@app.command("flood")
def flood(
    scale: Annotated[float, typer.Option(min=0.01, max=10, help="each flood's datagrams, times this")] = 1.0,
    baseline_source: Annotated[
        Path | None,
        typer.Option(help="also measure an agent run from this source tree (e.g. a checkout of an older commit)"),
    ] = None,
) -> None:
    """The running agent's RSS before and after each kind of hostile trap flood; last line is JSON."""
    import json

    from oss_agent.entrypoints.bench import flood as bench_flood

    figures = bench_flood.run(scale, baseline_source)
    columns = ["flood", "sent", "kernel drops", "RSS before MB", "after MB", "growth MB", "counted as"]
    for label, title in (("agent", "this agent"), ("baseline", f"baseline from {baseline_source}")):
        if label not in figures:
            continue
        measured = figures[label]
        assert isinstance(measured, dict)
        rows = [
            [str(r[key]) for key in ("flood", "sent", "kernel_drops", "rss_before_mb", "rss_after_mb", "growth_mb")]
            + [str(r["counted_as"])]
            for r in measured["floods"]
        ]
        caption = f"{title}: RSS of oss-agent run ({measured['idle_mb']} MB idle after start)"
        STATE.out.print(table(caption, columns, rows))
    typer.echo(json.dumps(figures))


@app.command("traps")
def traps(
    seconds: Annotated[
        float, typer.Option(help="length of each rate step (long: the 4 MiB receive buffer hides a short backlog)")
    ] = 10.0,
) -> None:
    """Highest zero-loss trap rate: this agent (traps into stored alarms) and snmptrapd, v2c and v3."""
    import asyncio
    import json

    from oss_agent.entrypoints import runtime
    from oss_agent.entrypoints.bench import traps as bench_traps

    runtime.tune_for_throughput()  # as `oss-agent run` does
    figures = asyncio.run(bench_traps.run(seconds))
    STATE.out.print(
        table(
            "Highest sustained trap rate with zero loss (traps/s, achieved by a separate sender process)",
            ["receiver", "v2c", "v3"],
            [
                [
                    "agent (stored as alarms)",
                    str(figures["agent_v2c_zero_loss_per_s"]),
                    str(figures["agent_v3_zero_loss_per_s"]),
                ],
                [
                    "agent, CPython's default GC settings",
                    "",
                    str(figures["agent_v3_default_gc_zero_loss_per_s"]),
                ],
                [
                    "agent, v3 through pysnmp's USM",
                    "",
                    str(figures["agent_v3_pysnmp_usm_zero_loss_per_s"]),
                ],
                [
                    "snmptrapd (logged)",
                    str(figures["snmptrapd_v2c_zero_loss_per_s"]),
                    str(figures["snmptrapd_v3_zero_loss_per_s"]),
                ],
            ],
        )
    )
    typer.echo(json.dumps(figures))


@app.command("activation")
def activation(
    sites: Annotated[int, typer.Option("--sites", min=10, max=60, help="customer sites (a PE and a CE each)")] = 10,
    rounds: Annotated[int, typer.Option("--rounds", min=1, max=20, help="rounds of: add at every site, delete")] = 3,
    prefix: Annotated[str, typer.Option(help="the bench lab's name prefix (namespaces, veths)")] = "bact",
    mgmt_subnet: Annotated[str, typer.Option(help="the bench lab's management subnet")] = "100.73.0.0/24",
    keep_lab: Annotated[bool, typer.Option(help="leave the bench lab running afterwards")] = False,
) -> None:
    """Service orders through the agent vs a plain script pushing the same changes; last line is JSON."""
    import json

    from oss_agent.entrypoints.bench import activation as bench_activation

    figures, lab_up_s = bench_activation.bench(sites, rounds, prefix, mgmt_subnet, keep_lab)
    STATE.out.print(f"sites lab of {figures['devices']} devices ({figures['sites']} sites) up in {lab_up_s:.1f} s")
    rows = []
    for mode, heading in (("alone", "one order at a time"), ("batch", "every site at once")):
        agent, floor = figures[mode]["agent"], figures[mode]["floor"]
        rows.append([f"[bold]{heading}[/bold]", "", "", ""])
        for key, label in (
            ("committed_p50_s", "accepted -> every device committed, p50 (s)"),
            ("committed_p95_s", "accepted -> every device committed, p95 (s)"),
            ("confirmed_p50_s", "accepted -> commits confirmed after the checks, p50 (s)"),
            ("confirmed_p95_s", "accepted -> commits confirmed after the checks, p95 (s)"),
            ("verified_p50_s", "accepted -> verified complete, p50 (s)"),
            ("verified_p95_s", "accepted -> verified complete, p95 (s)"),
            ("orders_per_min", "orders per minute"),
        ):
            ratio = agent[key] / floor[key] if floor[key] else float("nan")
            rows.append([label, f"{agent[key]:.3f}", f"{floor[key]:.3f}", f"{ratio:.2f}"])
        counts = [f"{side['orders']} ({side['failed']})" for side in (agent, floor)]
        rows.append(["orders measured (failed)", *counts, ""])
    title = f"internet-access orders over {figures['devices']} devices, {rounds} rounds of add + delete"
    STATE.out.print(table(title, ["figure", "agent", "floor (plain script)", "agent / floor"], rows))
    STATE.out.print(
        "committed: the CLI lines applied and the NETCONF candidate committed (confirmed-commit) on every device,"
        " as after the floor's push; confirmed: the NETCONF commits confirmed, which waits for the checks"
    )
    typer.echo(json.dumps(figures))


@app.command("inventory")
def inventory(
    devices: Annotated[int, typer.Option("--devices", "-n", min=1, help="devices in the generated inventory")] = 87_425,
    repeat: Annotated[int, typer.Option(min=1, max=10, help="runs of each loader; the fastest is shown")] = 3,
) -> None:
    """Load an N-device inventory (agent) beside PyYAML's C loader reading it (the floor); last line is JSON."""
    import json
    import tempfile
    from pathlib import Path

    from oss_agent.entrypoints.bench import inventory as bench_inventory

    with tempfile.TemporaryDirectory(prefix="oss-bench-inventory-") as tmp:
        path = bench_inventory.write_inventory(Path(tmp), devices)
        size = path.stat().st_size
        runs: dict[str, list[bench_inventory.Figure]] = {loader: [] for loader in bench_inventory.LOADERS}
        for _ in range(repeat):  # interleaved, so a busy moment of the machine hits both
            for loader in bench_inventory.LOADERS:
                runs[loader].append(bench_inventory.run_one(loader, path))
    rows, summary = bench_inventory.report(bench_inventory.best(runs["agent"]), bench_inventory.best(runs["c_loader"]))
    summary["file_bytes"] = size
    STATE.out.print(
        table(
            f"Inventory of {devices:,} devices ({size / 2**20:.1f} MiB of YAML), each loader in a fresh process, "
            f"fastest of {repeat}",
            ["loader", "devices", "seconds", "devices/s", "peak RSS MiB", "bytes/device", ""],
            [
                [*rows[0], f"{summary['time_ratio']:.2f}x the time, {summary['memory_ratio']:.2f}x the bytes"],
                [*rows[1], "the floor"],
            ],
        )
    )
    typer.echo(json.dumps(summary))
