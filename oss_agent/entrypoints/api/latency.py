"""Latency measured by the agent's probes (not a TMF API): a summary per probe and each probe's series.

Definitions in ``docs/kpis.md``; how probes run in :mod:`oss_agent.performance.prober`.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from oss_agent.bootstrap import Agent
from oss_agent.config.settings import PROBE_NAME
from oss_agent.performance.latency import LatencyStore, LatencySummary, with_configured

router = APIRouter(prefix="/perf/v1", tags=["latency"])
RESOLUTIONS = {"raw": 0, "5m": 300, "1h": 3600}


def summaries(agent: Agent, since: float, until: float) -> list[LatencySummary]:
    """Every configured probe (measured or not yet) and every probe with samples in the window."""
    configured = [(p.label, p.source, p.target) for p in agent.settings.latency_probes]
    return with_configured(LatencyStore(agent.engine).summaries(since, until), configured)


def summary_json(s: LatencySummary) -> dict[str, Any]:
    return {
        "probe": s.probe,
        "source": s.source,
        "target": s.target,
        "samples": s.samples,
        "sent": s.sent,
        "received": s.received,
        "lossPct": s.loss_pct,
        "rttAvgMs": s.rtt_avg_ms,
        "rttMinMs": s.rtt_min_ms,
        "rttMaxMs": s.rtt_max_ms,
        "lastTs": s.last_ts,
        "lastRttMs": s.last_rtt_ms,
    }


@router.get("/latency", summary="Round trip and loss per latency probe over the last N hours")
def latency(
    request: Request,
    hours: Annotated[float, Query(gt=0, le=24 * 400, allow_inf_nan=False, description="window length in hours")] = 24,
) -> dict[str, Any]:
    end = time.time()
    start = end - hours * 3600
    return {
        "start": start,
        "end": end,
        "probes": [summary_json(s) for s in summaries(request.app.state.agent, start, end)],
    }


@router.get("/latency/series", summary="A latency probe's round trips over time")
def latency_series(
    request: Request,
    probe: Annotated[str, Query(pattern=PROBE_NAME, description="the probe's name, e.g. pe1>pe2")],
    since: Annotated[
        float | None, Query(ge=0, allow_inf_nan=False, description="epoch seconds; default 1 h ago")
    ] = None,
    resolution: Annotated[Literal["raw", "5m", "1h"], Query()] = "raw",
) -> dict[str, Any]:
    """Raw runs, or 5-minute/1-hour buckets: the round trip's weighted mean (``value``), extremes and loss."""
    start = since if since is not None else time.time() - 3600
    points = LatencyStore(request.app.state.agent.engine).series(probe, start, RESOLUTIONS[resolution])
    return {
        "probe": probe,
        "resolution": resolution,
        "points": [
            {"ts": p.ts, "value": p.rtt_avg_ms, "min": p.rtt_min_ms, "max": p.rtt_max_ms, "lossPct": p.loss_pct}
            for p in points
        ],
    }
