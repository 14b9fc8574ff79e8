"""Orders and services as plain JSON for the CLI (and the base of the TMF views and the console): our
own field names, with each order's resource orders and check results. Every configuration text they
carry (changes, diffs, snapshots, renderings) is shown with its secrets hidden; so is a resource
order's error, masked again as shown: one stored before adapter errors were masked where built
(``adapters.errors``) quotes the device's refusal as it was."""

from __future__ import annotations

from typing import Any

import secrecy
from adapters.redact import mask_config, mask_diff, mask_line, mask_message
from oss_agent.domain.service import Service
from oss_agent.domain.service_order import ServiceOrder
from oss_agent.service_layer.unit_of_work import UnitOfWork
from oss_agent.storage.hub_repository import order_snapshot, service_snapshot
from oss_agent.storage.provisioning_repository import ResourceOrder


def _masked(text: str | None) -> str | None:
    return None if text is None else mask_config(text)


def shown_error(error: str | None) -> str | None:
    """A resource order's error as shown (see the module docstring)."""
    return None if error is None else secrecy.hide(mask_message(error))


def resource_order_view(ro: ResourceOrder, *, snapshots: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ro.id,
        "order_id": ro.order_id,
        "device": ro.device,
        "platform": ro.platform,
        "phase": ro.phase.value,
        "services": list(ro.services),
        "change_cli": [mask_line(line) for line in ro.change_cli or []],
        "change_netconf": _masked(ro.change_netconf),
        "diff": mask_diff(ro.diff),
        "error": shown_error(ro.error),
        "created_at": ro.created_at.isoformat() if ro.created_at else None,
        "updated_at": ro.updated_at.isoformat() if ro.updated_at else None,
    }
    if snapshots:
        out["snapshot_cli"], out["snapshot_netconf"] = _masked(ro.snapshot_cli), _masked(ro.snapshot_netconf)
    return out


def order_view(uow: UnitOfWork, order: ServiceOrder, *, deep: bool = True) -> dict[str, Any]:
    view = order_snapshot(order)
    if deep:
        decision, checks, _ = uow.orders.journal(order.id)
        view["decision"] = decision
        view["checks"] = checks
        view["resource_orders"] = [resource_order_view(ro) for ro in uow.resource_orders.of_order(order.id)]
    return view


def service_view(uow: UnitOfWork, service: Service) -> dict[str, Any]:
    view = service_snapshot(service)
    view["renderings"] = [
        {"device": r.device, "part": r.part, "rendering": mask_config(r.text)}
        for r in uow.renderings.of_service(service.id)
    ]
    return view
