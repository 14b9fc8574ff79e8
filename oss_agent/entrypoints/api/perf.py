"""Performance series and the agent's own Prometheus metrics (not TM Forum APIs)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response

from oss_agent.performance.store import PerfStore
from oss_agent.storage.perf_tables import DEVICE_METRICS, INTERFACE_METRICS

router = APIRouter()
RESOLUTIONS = {"raw": 0, "5m": 300, "1h": 3600}


@router.get("/perf/v1/series")
def series(
    request: Request,
    device: Annotated[str, Query(min_length=1)],
    metric: Annotated[str, Query()] = "in_bps",
    interface: Annotated[str | None, Query()] = None,
    since: Annotated[float | None, Query(description="epoch seconds; default one hour ago")] = None,
    resolution: Annotated[str, Query(pattern="^(raw|5m|1h)$")] = "raw",
) -> dict[str, Any]:
    """A metric of a device (``interface`` omitted: device-level metrics) as points over time."""
    allowed = INTERFACE_METRICS if interface is not None else DEVICE_METRICS
    if metric not in allowed:
        raise HTTPException(400, f"unknown metric {metric!r}; one of {', '.join(allowed)}")
    store = PerfStore(request.app.state.agent.engine)
    start = since if since is not None else time.time() - 3600
    points = store.series(device, interface, metric, start, RESOLUTIONS[resolution])
    return {
        "device": device,
        "interface": interface,
        "metric": metric,
        "resolution": resolution,
        "points": [{"ts": p.ts, "value": p.value, "min": p.min, "max": p.max} for p in points],
    }


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The agent's health in the Prometheus text format: polls, durations, failures, samples."""
    return Response(request.app.state.agent.metrics.exposition(), media_type="text/plain; version=0.0.4")
