"""Read models of the Orders and Services pages and their Overview panels: orders with each device's
progress (their TMF652 resource orders), services with their availability, the catalog for the order
form. Nothing here writes: an order, a cancellation, a suspension or a check goes through the API.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from oss_agent.bootstrap import Agent
from oss_agent.domain.service_order import FINAL, ServiceOrder
from oss_agent.entrypoints.web.views import KPI_DAYS, Panel, fault_kpis
from oss_agent.provisioning.context import ProvisioningContext
from oss_agent.provisioning.views import order_view, service_view, shown_error
from oss_agent.storage.hub_repository import order_snapshot
from oss_agent.storage.orm import DeviceRow
from oss_agent.storage.provisioning_repository import ResourceOrder

ORDERS_SHOWN = 200


def _ctx(agent: Agent) -> ProvisioningContext:
    assert agent.provisioning is not None, "bootstrap always sets provisioning up"
    return agent.provisioning


def _devices(resource_orders: Iterable[ResourceOrder]) -> list[dict[str, Any]]:
    return [
        {"device": ro.device, "phase": ro.phase.value, "error": shown_error(ro.error)}
        for ro in sorted(resource_orders, key=lambda r: r.device)
    ]


def _summary(order: ServiceOrder, resource_orders: Iterable[ResourceOrder]) -> dict[str, Any]:
    view = order_snapshot(order)
    view["cancellable"] = order.cancellable
    view["final"] = order.state in FINAL
    view["devices"] = _devices(resource_orders)
    return view


def orders(agent: Agent, limit: int = ORDERS_SHOWN) -> list[dict[str, Any]]:
    """The newest orders (rejected ones too), each with its devices' phases."""
    with _ctx(agent).uow() as uow:
        found = uow.orders.list(limit=limit)
        by_order: dict[str, list[ResourceOrder]] = {}
        for ro in uow.resource_orders.list():
            by_order.setdefault(ro.order_id, []).append(ro)
    return [_summary(o, by_order.get(o.id, [])) for o in found]


def order(agent: Agent, order_id: str) -> dict[str, Any] | None:
    """One order with its items, each device's change and diff, the checks and the decision."""
    with _ctx(agent).uow() as uow:
        found = uow.orders.get(order_id)
        if found is None:
            return None
        view = order_view(uow, found)
    view["cancellable"] = found.cancellable
    view["final"] = found.state in FINAL
    return view


def services(agent: Agent) -> list[dict[str, Any]]:
    """Every service not terminated (and the terminated ones of the last orders), with its availability."""
    kpis = fault_kpis(agent)
    with _ctx(agent).uow() as uow:
        found = uow.services.list()
    out = []
    for s in found:
        uptime = kpis.service_uptime.get(s.id)
        out.append(
            {
                "id": s.id,
                "name": s.name,
                "spec": s.spec_id,
                "state": s.state.value,
                "characteristics": dict(s.characteristics),
                "resources": list(s.supporting_resources),
                "in_sync": s.in_sync,
                "sync_detail": s.sync_detail,
                "created_at": s.created_at.isoformat(),
                "updated_at": s.updated_at.isoformat(),
                "availability": None if uptime is None else uptime.availability,
                "down_s": None if uptime is None else uptime.down_s,
            }
        )
    return out


def service(agent: Agent, service_id: str) -> dict[str, Any] | None:
    """One service: characteristics, resources, renderings per device, last checks, and its orders."""
    kpis = fault_kpis(agent)
    with _ctx(agent).uow() as uow:
        found = uow.services.get(service_id)
        if found is None:
            return None
        view = service_view(uow, found)
        history = []
        for o in uow.orders.list(limit=ORDERS_SHOWN):
            mine = [i for i in o.items if i.service_id == service_id]
            if mine:
                history.append(
                    {
                        "id": o.id,
                        "state": o.state.value,
                        "requested_at": o.requested_at.isoformat(),
                        "items": [{"action": i.action.value, "target_state": i.target_state} for i in mine],
                    }
                )
    uptime = kpis.service_uptime.get(service_id)
    view["availability"] = None if uptime is None else uptime.availability
    view["down_s"] = None if uptime is None else uptime.down_s
    view["orders"] = history
    return view


def catalog(agent: Agent) -> dict[str, Any]:
    """What the order form offers: each specification's characteristics, the inventory's sites, the examples."""
    ctx = _ctx(agent)
    specs = [
        {
            "id": spec.id,
            "name": spec.name,
            "description": spec.description,
            "characteristics": [
                {
                    "name": c.name,
                    "type": c.value_type.value,
                    "description": c.description,
                    "required": c.required and c.default is None,
                    "default": c.default,
                    "minimum": c.minimum,
                    "maximum": c.maximum,
                    "values": list(c.values),
                }
                for c in spec.characteristics
            ],
        }
        for spec in sorted(ctx.catalog.specs.values(), key=lambda s: s.name)
    ]
    with agent.engine.connect() as connection:
        sites = sorted(
            {site for (site,) in connection.execute(select(DeviceRow.site).where(DeviceRow.role == "cpe")) if site}
        )
    return {"specs": specs, "sites": sites, "examples": examples(ctx.catalog.directory / "examples")}


def examples(folder: Path) -> list[dict[str, Any]]:
    """The example orders shipped beside the catalog (``examples/*.yaml``), as the form can load them."""
    found = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            body = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError):
            continue  # an unreadable example is not offered; the catalog itself is checked elsewhere
        if isinstance(body, dict) and isinstance(body.get("serviceOrderItem"), list):
            found.append({"name": path.stem, "order": body})
    return found


def _progress(devices: list[dict[str, Any]]) -> str:
    return ", ".join(f"{d['device']} {d['phase']}" for d in devices) or "not started"


def orders_in_flight_panel(agent: Agent) -> Panel:
    rows = [
        [
            o["id"][:8],
            ", ".join(
                f"{i['action']} {i['spec'] or ''} {i['service_name'] or i['service_id'] or ''}".strip()
                for i in o["items"]
            ),
            o["state"],
            _progress(o["devices"]),
            (o["requested_at"] or "")[:19].replace("T", " "),
        ]
        for o in orders(agent)
        if not o["final"]
    ]
    return Panel(
        "Orders in flight",
        ["order", "items", "state", "devices", "ordered (UTC)"],
        rows,
        note="service orders not finished yet, each device's phase",
        href="orders",
        empty="no service order in flight",
    )


def service_availability_panel(agent: Agent) -> Panel:
    found = sorted(
        (s for s in services(agent) if s["availability"] is not None),
        key=lambda s: (s["availability"], s["name"]),
    )
    rows = [[s["name"], s["spec"], s["state"], f"{s['availability'] * 100:.3f} %"] for s in found[:10]]
    return Panel(
        "Service availability",
        ["service", "specification", "state", "availability"],
        rows,
        note=f"lowest first, over each service's life in the last {KPI_DAYS:g} days",
        href="services",
        empty="no service on the network yet",
        numeric=frozenset({3}),
    )
