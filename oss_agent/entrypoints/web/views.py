"""Read models of the console's pages, from the same stores and functions as the API and the CLI.

Nothing here writes; every change an operator makes goes through the API (the console's gateway),
so the console and a script see the same rules. No secret is read: device rows and alarms hold none.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from oss_agent.bootstrap import Agent
from oss_agent.discovery.topology import load_topology
from oss_agent.entrypoints.api.latency import summaries
from oss_agent.fault.hub.tmf642 import device_of
from oss_agent.fault.hub.views import alarm_snapshots
from oss_agent.fault.kpi import Kpis, compute_kpis
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from oss_agent.storage.engine import make_session_factory
from oss_agent.storage.orm import DeviceRow, InterfaceRow
from oss_agent.storage.perf_tables import DeviceSampleRow

SEVERITIES = ("critical", "major", "minor", "warning", "indeterminate")
KPI_DAYS = 7.0
LATENCY_HOURS = 24.0
STALE_POLL_FACTOR = 3  # a device not polled for this many intervals is shown as unknown, not up


@dataclass(frozen=True, slots=True)
class Panel:
    """A table on the Overview: the page shows every panel it is given (:data:`OVERVIEW_PANELS`, then
    the orders in flight and the service availability), so a new table needs no change to the page."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    note: str = ""
    href: str = ""
    empty: str = "nothing to show"
    numeric: frozenset[int] = field(default_factory=frozenset)  # right-aligned columns


def worst(severities: Sequence[str]) -> str | None:
    ranked = [s for s in SEVERITIES if s in severities]
    return ranked[0] if ranked else None


def active_alarms(agent: Agent) -> list[dict[str, Any]]:
    return alarm_snapshots(make_session_factory(agent.engine), active_only=True)


def device_states(agent: Agent, alarms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every device with its last poll, state (up, down, unknown) and its worst active alarm."""
    with agent.engine.connect() as connection:
        newest = (
            select(DeviceSampleRow.device, func.max(DeviceSampleRow.ts).label("ts"))
            .group_by(DeviceSampleRow.device)
            .subquery()
        )
        polls = {
            d: (ts, reachable, ms)
            for d, ts, reachable, ms in connection.execute(
                select(
                    DeviceSampleRow.device, DeviceSampleRow.ts, DeviceSampleRow.reachable, DeviceSampleRow.response_ms
                ).join(newest, (DeviceSampleRow.device == newest.c.device) & (DeviceSampleRow.ts == newest.c.ts))
            )
        }
        rows = connection.execute(
            select(DeviceRow.name, DeviceRow.role, DeviceRow.site, DeviceRow.platform, DeviceRow.os_version).order_by(
                DeviceRow.name
            )
        ).all()
    unreachable = {a["managed_object"] for a in alarms if a["reduction_key"].endswith("|unreachable")}
    by_device: dict[str, list[str]] = {}
    for a in alarms:
        by_device.setdefault(device_of(a["managed_object"]), []).append(a["severity"])
    stale_after = agent.settings.poll_interval_s * STALE_POLL_FACTOR + agent.settings.device_timeout_s
    out = []
    for name, role, site, platform, os_version in rows:
        ts, reachable, response_ms = polls.get(name, (None, None, None))
        if name in unreachable or reachable is False:
            state = "down"
        elif ts is not None and time.time() - ts <= stale_after:
            state = "up"
        else:
            state = "unknown"
        out.append(
            {
                "name": name,
                "role": role,
                "site": site,
                "platform": platform,
                "os_version": os_version,
                "state": state,
                "last_poll": ts,
                "response_ms": response_ms,
                "alarms": len(by_device.get(name, [])),
                "worst": worst(by_device.get(name, [])),
            }
        )
    return out


def fault_kpis(agent: Agent, days: float = KPI_DAYS) -> Kpis:
    end = datetime.now(UTC)
    return compute_kpis(make_session_factory(agent.engine), end - timedelta(days=days), end)


def latency_panel(agent: Agent) -> Panel:
    now = time.time()
    rows = [
        [
            s.probe,
            f"{s.source} → {s.target}",
            "–" if s.rtt_avg_ms is None else f"{s.rtt_avg_ms:.2f} ms",
            "–" if s.rtt_max_ms is None else f"{s.rtt_max_ms:.2f} ms",
            "–" if s.loss_pct is None else f"{s.loss_pct:.1f} %",
            s.samples,
        ]
        for s in summaries(agent, now - LATENCY_HOURS * 3600, now)
    ]
    return Panel(
        "Latency between sites",
        ["probe", "path", "mean RTT", "max RTT", "loss", "runs"],
        rows,
        note=f"last {LATENCY_HOURS:g} h, measured by the devices",
        href="performance#latency",
        empty="no latency probes configured (latency_probes in the settings)",
        numeric=frozenset({2, 3, 4, 5}),
    )


# The Overview's tables after the built-in ones, in order; each gets the agent and returns a Panel
# (the console adds the provisioning panels after these: oss_agent.entrypoints.web.PANELS).
OVERVIEW_PANELS: list[Callable[[Agent], Panel]] = [latency_panel]


def overview(agent: Agent, panels: Sequence[Callable[[Agent], Panel]] = OVERVIEW_PANELS) -> dict[str, Any]:
    alarms = active_alarms(agent)
    kpis = fault_kpis(agent)
    devices = device_states(agent, alarms)
    counts = {s: sum(1 for a in alarms if a["severity"] == s) for s in SEVERITIES}
    repairs = sum(kpis.repairs.values())
    mttr_all = sum(kpis.mttr_s[d] * kpis.repairs.get(d, 0) for d in kpis.mttr_s) / repairs if repairs else None
    return {
        "kpi_days": KPI_DAYS,
        "kpis": kpis,
        "devices": [{**d, "availability": kpis.device_availability.get(d["name"])} for d in devices],
        "counts": counts,
        "repairs": repairs,
        "mttr_all": mttr_all,
        "active": len(alarms),
        "unacknowledged": sum(1 for a in alarms if not a["acknowledged"]),
        "devices_up": sum(1 for d in devices if d["state"] == "up"),
        "severities": [
            (s, kpis.mttr_by_severity_s[s], kpis.repairs_by_severity.get(s, 0)) for s in kpis.mttr_by_severity_s
        ],
        "panels": [make(agent) for make in panels],
    }


def topology(agent: Agent) -> dict[str, Any]:
    """Nodes and links with their state and active alarms, for the interactive picture."""
    alarms = active_alarms(agent)
    states = {d["name"]: d for d in device_states(agent, alarms)}
    data = load_topology(SqlAlchemyUnitOfWork(make_session_factory(agent.engine)))
    with agent.engine.connect() as connection:
        oper = {
            f"{d}:{i}": status
            for d, i, status in connection.execute(
                select(DeviceRow.name, InterfaceRow.name, InterfaceRow.oper_status).join(InterfaceRow.device)
            )
        }
    by_object: dict[str, list[dict[str, Any]]] = {}
    for a in alarms:
        brief = {
            "id": a["number"],
            "severity": a["severity"],
            "object": a["managed_object"],
            "cause": a["probable_cause"],
            "problem": a["specific_problem"],
            "raised": a["raised_at"],
            "root": a["root_cause_number"] is None,
        }
        by_object.setdefault(device_of(a["managed_object"]), []).append(brief)
    nodes = []
    for n in data["nodes"]:
        state = states.get(n["name"], {})
        node_alarms = by_object.get(n["name"], [])
        nodes.append(
            {
                "id": n["name"],
                "role": n["role"],
                "site": n["site"],
                "platform": n["platform"],
                "vendor": n["vendor"],
                "os_version": n["os_version"],
                "external": n["role"] == "external",
                "state": state.get("state", "unknown"),
                "last_poll": state.get("last_poll"),
                "response_ms": state.get("response_ms"),
                "worst": worst([a["severity"] for a in node_alarms]),
                "alarms": node_alarms,
            }
        )
    links = []
    for link in data["links"]:
        ends = [f"{link['a']}:{link['a_interface']}", f"{link['b']}:{link['b_interface']}"]
        link_alarms = [a for d in (link["a"], link["b"]) for a in by_object.get(d, []) if a["object"] in ends]
        # an end with an active outage alarm is down now; otherwise what discovery last saw
        outages = {a["object"] for a in link_alarms if a["cause"] in ("linkDown", "operDown")}
        statuses = ["down" if e in outages else oper.get(e, "unknown") for e in ends]
        down = "down" in statuses
        links.append(
            {
                "id": link["key"],
                "source": link["a"],
                "target": link["b"],
                "ends": ends,
                "oper": statuses,
                "state": "down" if down else "up" if all(s == "up" for s in statuses) else "unknown",
                "worst": worst([a["severity"] for a in link_alarms]),
                "alarms": link_alarms,
            }
        )
    return {"nodes": nodes, "links": links, "at": time.time()}


def performance(agent: Agent) -> dict[str, Any]:
    """The devices and interfaces that have series, and the latency probes, for the page's selectors."""
    with agent.engine.connect() as connection:
        interfaces: dict[str, list[dict[str, Any]]] = {}
        for device, name, speed in connection.execute(
            select(DeviceRow.name, InterfaceRow.name, InterfaceRow.speed_bps)
            .join(InterfaceRow.device)
            .order_by(DeviceRow.name, InterfaceRow.name)
        ):
            interfaces.setdefault(device, []).append({"name": name, "speed": speed})
    now = time.time()
    probes = [s.probe for s in summaries(agent, now - 31 * 86400, now)]
    return {"interfaces": interfaces, "probes": probes}
