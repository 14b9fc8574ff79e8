"""Performance series and the agent's own Prometheus metrics (not TM Forum APIs)."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from oss_agent.entrypoints.api.tmf import TmfError
from oss_agent.performance.store import PerfStore
from oss_agent.storage.perf_tables import DEVICE_METRICS, INTERFACE_METRICS

router = APIRouter()
RESOLUTIONS = {"raw": 0, "5m": 300, "1h": 3600}


DEVICE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"  # as the inventory allows


@router.get(
    "/perf/v1/series",
    responses={
        404: {"description": "no such series: a device metric of an interface or an interface metric of a device"}
    },
)
def series(
    request: Request,
    device: Annotated[str, Query(pattern=DEVICE_NAME)],
    metric: Annotated[
        Literal[INTERFACE_METRICS + DEVICE_METRICS] | None,  # type: ignore[valid-type]
        Query(
            description=f"interface: one of {', '.join(INTERFACE_METRICS)} (default {INTERFACE_METRICS[0]}); "
            f"device: one of {', '.join(DEVICE_METRICS)} (default {DEVICE_METRICS[0]})"
        ),
    ] = None,
    interface: Annotated[str | None, Query(min_length=1, max_length=255, pattern=r"^[^\x00]+$")] = None,
    since: Annotated[
        float | None, Query(ge=0, allow_inf_nan=False, description="epoch seconds; default one hour ago")
    ] = None,
    resolution: Annotated[Literal["raw", "5m", "1h"], Query()] = "raw",
) -> dict[str, Any]:
    """A metric of a device (``interface`` omitted: device-level metrics) as points over time."""
    allowed = INTERFACE_METRICS if interface is not None else DEVICE_METRICS
    metric = metric or allowed[0]
    if metric not in allowed:
        raise TmfError(
            404,
            f"metric {metric!r} is not a{'n interface' if interface else ' device'} metric; "
            f"one of {', '.join(allowed)}",
        )
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


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {}}}},
)
def metrics(request: Request) -> Response:
    """The agent's health in the Prometheus text format: polls, durations, failures, samples."""
    return Response(request.app.state.agent.metrics.exposition(), media_type="text/plain; version=0.0.4")
