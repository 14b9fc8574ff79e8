"""Fault KPIs over HTTP (not a TMF API): availability per device, interface, service and network-wide,
MTTR per device and per severity, poll answers per device (definitions: ``docs/kpis.md``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request

from oss_agent.fault.kpi import MAX_WINDOW_DAYS, MIN_WINDOW_DAYS, Kpis, compute_kpis

router = APIRouter(prefix="/fault/v1", tags=["fault KPIs"])


def kpis_json(k: Kpis) -> dict[str, Any]:
    """The KPI answer shared by the API, ``oss-agent alarms kpis --format json`` and ``oss-agent kpi show``."""
    return {
        "start": k.start.isoformat(),
        "end": k.end.isoformat(),
        "network": {"availability": k.network_availability},
        "devices": [
            {
                "device": d,
                "availability": k.device_availability.get(d, 1.0),
                "observedSeconds": k.device_uptime[d].observed_s if d in k.device_uptime else None,
                "downSeconds": k.device_uptime[d].down_s if d in k.device_uptime else None,
                "mttrSeconds": k.mttr_s.get(d),
                "repairs": k.repairs.get(d, 0),
                "polls": k.polls.get(d, (0, 0))[0],
                "pollsAnswered": k.polls.get(d, (0, 0))[1],
            }
            for d in sorted(set(k.device_availability) | set(k.mttr_s))
        ],
        "severities": [
            {"severity": s, "mttrSeconds": m, "repairs": k.repairs_by_severity.get(s, 0)}
            for s, m in k.mttr_by_severity_s.items()
        ],
        "interfaces": [{"interface": i, "availability": a} for i, a in k.interface_availability.items()],
        "services": [
            {
                "service": s,
                "availability": u.availability,
                "observedSeconds": u.observed_s,
                "downSeconds": u.down_s,
            }
            for s, u in k.service_uptime.items()
        ],
    }


@router.get("/kpis", summary="Availability (network, devices, interfaces, services), MTTR, over the last N days")
def kpis(
    request: Request,
    days: float = Query(
        7.0, ge=MIN_WINDOW_DAYS, le=MAX_WINDOW_DAYS, allow_inf_nan=False, description="window length in days"
    ),
) -> dict[str, Any]:
    end = datetime.now(UTC)
    return kpis_json(compute_kpis(request.app.state.session_factory, end - timedelta(days=days), end))
