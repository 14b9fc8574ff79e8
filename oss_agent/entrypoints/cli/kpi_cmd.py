"""``oss-agent kpi``: the OSS KPIs in one look (availability, MTTR per severity, latency), and a probe's series.

The same numbers as ``/fault/v1/kpis`` and ``/perf/v1/latency`` (one renderer each); definitions in
``docs/kpis.md``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape

from oss_agent.bootstrap import bootstrap
from oss_agent.config import load_settings
from oss_agent.entrypoints.api.fault_kpi import kpis_json
from oss_agent.entrypoints.api.latency import RESOLUTIONS, summaries, summary_json
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json, table
from oss_agent.entrypoints.cli.run_cmd import sparkline
from oss_agent.fault.kpi import MAX_WINDOW_DAYS, MIN_WINDOW_DAYS, compute_kpis
from oss_agent.performance.latency import LatencyStore
from oss_agent.storage.engine import make_session_factory

app = typer.Typer(
    help="OSS KPIs: availability (network, devices, services), MTTR per severity, latency between sites.",
    no_args_is_help=True,
)


def pct(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    colour = "green" if value >= 0.999 else "yellow" if value >= 0.99 else "red"
    return f"[{colour}]{value * 100:.{digits}f}%[/]"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, s = divmod(round(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h{m:02d}m" if hours else f"{m}m{s:02d}s" if m else f"{s}s"


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ms"


@app.command("show")
def show(
    days: Annotated[
        float, typer.Option("--days", min=MIN_WINDOW_DAYS, max=MAX_WINDOW_DAYS, help="window length")
    ] = 7.0,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Network, device and service availability, MTTR per severity, and each latency probe over the window."""
    agent = bootstrap(load_settings(STATE.config), require_schema=True)
    try:
        end = datetime.now(UTC)
        fault = kpis_json(compute_kpis(make_session_factory(agent.engine), end - timedelta(days=days), end))
        latency = [summary_json(s) for s in summaries(agent, end.timestamp() - days * 86400, end.timestamp())]
    finally:
        agent.close()
    if fmt is Format.JSON:
        emit_json({"fault": fault, "latency": latency})
        return
    STATE.out.print(f"Network availability, last {days:g} days: {pct(fault['network']['availability'])}")
    STATE.out.print(
        table(
            "MTTR per severity (root causes repaired in the window)",
            ["severity", "MTTR", "repairs"],
            [[escape(s["severity"]), duration(s["mttrSeconds"]), s["repairs"]] for s in fault["severities"]],
        )
    )
    STATE.out.print(
        table(
            "Devices",
            ["device", "availability", "down", "polls answered", "MTTR", "repairs"],
            [
                [
                    escape(d["device"]),
                    pct(d["availability"]),
                    duration(d["downSeconds"]),
                    f"{d['pollsAnswered']}/{d['polls']}",
                    duration(d["mttrSeconds"]),
                    d["repairs"],
                ]
                for d in fault["devices"]
            ],
        )
    )
    STATE.out.print(
        table(
            "Services (availability over their life in the window)",
            ["service", "availability", "down", "observed"],
            [
                [
                    escape(s["service"]),
                    pct(s["availability"]),
                    duration(s["downSeconds"]),
                    duration(s["observedSeconds"]),
                ]
                for s in fault["services"]
            ],
        )
    )
    STATE.out.print(_latency_table(latency))


def _latency_table(latency: list[dict[str, Any]]) -> Any:
    return table(
        "Latency probes",
        ["probe", "source", "target", "mean", "min", "max", "loss", "runs"],
        [
            [
                escape(p["probe"]),
                escape(p["source"]),
                escape(p["target"]),
                ms(p["rttAvgMs"]),
                ms(p["rttMinMs"]),
                ms(p["rttMaxMs"]),
                "-" if p["lossPct"] is None else f"{p['lossPct']:.1f}%",
                p["samples"],
            ]
            for p in latency
        ],
    )


@app.command("latency")
def latency(
    probe: Annotated[str, typer.Argument(help="the probe's name, e.g. pe1>pe2")],
    hours: Annotated[float, typer.Option("--hours", min=0.01, help="how far back")] = 1.0,
    resolution: Annotated[str, typer.Option("--resolution", help="raw, 5m or 1h")] = "raw",
    fmt: Format = FORMAT_OPTION,
) -> None:
    """One probe's round trips over time, with a sparkline."""
    if resolution not in RESOLUTIONS:
        raise typer.BadParameter(f"{resolution!r}: one of {', '.join(RESOLUTIONS)}", param_hint="--resolution")
    agent = bootstrap(load_settings(STATE.config), require_schema=True)
    try:
        points = LatencyStore(agent.engine).series(probe, time.time() - hours * 3600, RESOLUTIONS[resolution])
    finally:
        agent.close()
    rows: list[dict[str, Any]] = [
        {
            "ts": p.ts,
            "rttAvgMs": p.rtt_avg_ms,
            "rttMinMs": p.rtt_min_ms,
            "rttMaxMs": p.rtt_max_ms,
            "lossPct": p.loss_pct,
        }
        for p in points
    ]
    if fmt is Format.JSON:
        emit_json({"probe": probe, "resolution": resolution, "points": rows})
        return
    STATE.out.print(f"{escape(probe)}  {sparkline([r['rttAvgMs'] or 0.0 for r in rows])}")
    STATE.out.print(
        table(
            f"{escape(probe)}, last {hours:g} h ({resolution})",
            ["time (UTC)", "mean", "min", "max", "loss"],
            [
                [
                    datetime.fromtimestamp(r["ts"], UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    ms(r["rttAvgMs"]),
                    ms(r["rttMinMs"]),
                    ms(r["rttMaxMs"]),
                    "-" if r["lossPct"] is None else f"{r['lossPct']:.1f}%",
                ]
                for r in rows
            ],
        )
    )
