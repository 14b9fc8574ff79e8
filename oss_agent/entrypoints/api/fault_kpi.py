"""Fault KPIs over HTTP (not a TMF API): MTTR per device, availability per device and interface."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request

from oss_agent.fault.kpi import MAX_WINDOW_DAYS, MIN_WINDOW_DAYS, Kpis, compute_kpis

router = APIRouter(prefix="/fault/v1", tags=["fault KPIs"])


def kpis_json(k: Kpis) -> dict[str, Any]:
    """The KPI answer shared by the API and ``oss-agent alarms kpis --format json``."""
    return {
        "start": k.start.isoformat(),
        "end": k.end.isoformat(),
        "devices": [
            {
                "device": d,
                "availability": k.device_availability.get(d, 1.0),
                "mttrSeconds": k.mttr_s.get(d),
                "repairs": k.repairs.get(d, 0),
            }
            for d in sorted(set(k.device_availability) | set(k.mttr_s))
        ],
        "interfaces": [{"interface": i, "availability": a} for i, a in k.interface_availability.items()],
    }


@router.get("/kpis", summary="MTTR and availability over the last N days")
def kpis(
    request: Request,
    days: float = Query(
        7.0, ge=MIN_WINDOW_DAYS, le=MAX_WINDOW_DAYS, allow_inf_nan=False, description="window length in days"
    ),
) -> dict[str, Any]:
    end = datetime.now(UTC)
    return kpis_json(compute_kpis(request.app.state.session_factory, end - timedelta(days=days), end))
