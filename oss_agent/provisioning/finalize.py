"""The last step of an activation, also run by recovery: store what the order did, in one transaction.

Completed: each service takes its new state, values, supporting resources, renderings and check
results; a deleted service is terminated and its pool values released. Failed: the order and its
items say why; services the order was to create are terminated and their pool values released.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from oss_agent.domain.resource_order import Phase
from oss_agent.domain.service import ServiceState
from oss_agent.domain.service_order import ItemAction, OrderState
from oss_agent.provisioning.devices import DeviceHandle
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from oss_agent.storage.provisioning_repository import Rendering, ResourceOrder

UowFactory = Callable[[], SqlAlchemyUnitOfWork]


def _now() -> datetime:
    return datetime.now(UTC)


def failed(
    uow_factory: UowFactory,
    order_id: str,
    reason: str,
    per_item: Mapping[str, str],
    checks: list[dict[str, Any]] | None = None,
) -> str:
    with uow_factory() as uow:
        order = uow.orders.get(order_id)
        if order is None:
            return "unknown"
        if order.state in (OrderState.COMPLETED, OrderState.FAILED, OrderState.CANCELLED):
            return order.state.value
        now = _now()
        order.fail(now, reason, per_item)
        for item in order.items:
            if item.action is ItemAction.ADD and item.service_id:
                service = uow.services.get(item.service_id)
                if service is not None and service.state is ServiceState.RESERVED:
                    service.transition(ServiceState.TERMINATED, now)
                    uow.allocations.release(service.id)
        if checks is not None:
            uow.orders.record(order_id, checks=checks)
        uow.commit()
        return order.state.value


def completed(uow_factory: UowFactory, order_id: str, checks: list[dict[str, Any]]) -> str:
    """The order completed: services as the plan record says, ``checks`` (result dicts) kept on each."""
    with uow_factory() as uow:
        order = uow.orders.get(order_id)
        _, _, record = uow.orders.journal(order_id)
        if order is None or record is None:
            return "unknown"
        if order.state is OrderState.COMPLETED:
            return order.state.value
        now = _now()
        for entry in record["items"]:
            service = uow.services.get(entry["service_id"])
            if service is None:
                continue
            state = ServiceState(entry["state"])
            if state is ServiceState.TERMINATED:
                service.transition(ServiceState.TERMINATED, now)
                uow.renderings.replace(service.id, [])
                uow.allocations.release(service.id)
                continue
            mine = [c for c in checks if c.get("service") == service.id and c.get("phase") == "after"]
            service.transition(state, now)
            service.name = entry["name"]
            service.provisioned(entry["values"], tuple(entry["resources"]), mine, order_id, now)
            uow.renderings.replace(
                service.id,
                [
                    Rendering(service.id, device, part, text, tuple(pre))
                    for device, part, text, pre in entry["renderings"]
                ],
            )
        for ro in uow.resource_orders.of_order(order_id):
            if ro.phase is Phase.PREPARED:
                uow.resource_orders.set_phase(ro.id, Phase.COMMITTED)
        order.complete(now)
        uow.commit()
        return order.state.value


async def confirm_device(uow_factory: UowFactory, ro: ResourceOrder, handle: DeviceHandle) -> None:
    """Make a prepared device's change permanent: confirm its NETCONF commit (CLI changes already are)."""
    if ro.change_netconf and ro.persist_id:
        await handle.confirm_netconf(ro.persist_id)
    with uow_factory() as uow:
        uow.resource_orders.set_phase(ro.id, Phase.COMMITTED)
        uow.commit()
    ro.phase = Phase.COMMITTED
