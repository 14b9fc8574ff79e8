"""``oss-agent run`` and ``oss-agent perf``: the daemon, and reading what it measured."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated, Any

import typer
from rich.markup import escape

from oss_agent.bootstrap import bootstrap
from oss_agent.config import load_settings
from oss_agent.entrypoints.cli.output import FORMAT_OPTION, STATE, Format, emit_json, table
from oss_agent.performance.store import PerfStore

SPARKS = "▁▂▃▄▅▆▇█"


def run() -> None:
    """Run the agent: polling, discovery and the API, until SIGTERM or Ctrl-C."""
    from oss_agent.entrypoints import daemon, runtime

    settings = load_settings(STATE.config)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # every NETCONF/SSH session (discovery backs up NETCONF's datastore) logs its whole hello at INFO
        for chatty in ("ncclient", "paramiko"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    runtime.tune_for_throughput()
    asyncio.run(daemon.run(settings))


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(SPARKS[min(len(SPARKS) - 1, int((v - low) / span * (len(SPARKS) - 1)))] for v in values)


def human_bps(value: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.1f} {unit}bit/s"
    return f"{value:.0f} bit/s"


def perf(
    device: Annotated[str, typer.Argument(help="inventory device name")],
    interface: Annotated[str | None, typer.Argument(help="one interface: its history")] = None,
    minutes: Annotated[int, typer.Option("--minutes", "-m", help="how far back")] = 60,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """A device's latest interface rates with a sparkline, or one interface's history."""
    settings = load_settings(STATE.config)
    agent = bootstrap(settings, require_schema=True)
    store = PerfStore(agent.engine)
    since = time.time() - minutes * 60
    try:
        names = [interface] if interface else [row.interface for row in store.latest(device)]
        rows: list[dict[str, Any]] = []
        for name in names:
            inbound = store.series(device, name, "in_bps", since)
            outbound = store.series(device, name, "out_bps", since)
            util = store.series(device, name, "in_util", since)
            rows.append(
                {
                    "interface": name,
                    "samples": len(inbound),
                    "in_bps": inbound[-1].value if inbound else None,
                    "out_bps": outbound[-1].value if outbound else None,
                    "in_util": util[-1].value if util else None,
                    "in_history": [p.value for p in inbound],
                    "out_history": [p.value for p in outbound],
                }
            )
    finally:
        agent.close()
    if fmt is Format.JSON:
        emit_json({"device": device, "since": since, "interfaces": rows})
        return
    if not rows:
        STATE.out.print(f"no samples for {device} in the last {minutes} min: is 'oss-agent run' polling it?")
        raise typer.Exit(1)
    STATE.out.print(
        table(
            f"{escape(device)}: last {minutes} min",
            ["interface", "in", "out", "in util", f"in ({minutes} min)", "out"],
            [
                [
                    escape(r["interface"]),  # a device's words: no Rich markup read
                    human_bps(r["in_bps"] or 0),
                    human_bps(r["out_bps"] or 0),
                    "" if r["in_util"] is None else f"{r['in_util']:.2f} %",
                    sparkline([v or 0.0 for v in r["in_history"]]),
                    sparkline([v or 0.0 for v in r["out_history"]]),
                ]
                for r in rows
            ],
        )
    )
