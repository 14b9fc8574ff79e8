"""Handlers of the provisioning commands: accept (or reject and keep) a service order, cancel one.

Accepting checks everything that can be checked without touching a device: the request's shape, the
specification, every characteristic's type and value (injection included), the services a modify or
delete names, that every site resolves to devices, and that no LAN overlaps one another site holds
(a live service's, or an open order's: an order holds its LAN from its acceptance until it fails or
is cancelled; acceptances are serialised, so two at once never both claim one LAN). A refused order
is stored as ``rejected`` with each problem and its field, and :class:`OrderRejectedError` tells the
caller. An ``externalId`` seen before gives back the first order, never a second one (a unique key
decides, also under a race).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from oss_agent.domain import commands
from oss_agent.domain.catalog import OrderRejectedError, Problem
from oss_agent.domain.errors import DomainError, InvalidTransitionError, NotFoundError
from oss_agent.domain.service import Service, ServiceState
from oss_agent.domain.service_order import ItemAction, ServiceOrder, ServiceOrderItem
from oss_agent.provisioning.context import ProvisioningContext
from oss_agent.provisioning.planner import PORTS
from oss_agent.provisioning.sites import HOLDING, validate_items
from oss_agent.service_layer.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Accepted:
    order_id: str
    created: bool  # False: an order with the same externalId existed, and this is it


def _rejection(problem: Problem) -> dict[str, str]:
    return {
        "code": "invalidValue",
        "reason": "Bad Request",
        "message": problem.message,
        "referenceError": problem.field,
    }


def _order_of(cmd: commands.SubmitServiceOrder, now: datetime) -> tuple[ServiceOrder, list[Problem]]:
    try:
        order = ServiceOrder.submit(
            cmd.order_id,
            cmd.items,
            now,
            cmd.external_id,
            cmd.description,
            requested_start=cmd.requested_start,
            related_party=list(cmd.related_party),
            category=cmd.category,
            priority=cmd.priority,
        )
        return order, []
    except InvalidTransitionError as exc:
        items: list[ServiceOrderItem] = []
        for i in cmd.items:  # a repeated id is kept once (the first)
            if all(kept.item_id != i.item_id for kept in items):
                items.append(
                    ServiceOrderItem(
                        i.item_id, i.action, i.service_spec, dict(i.characteristics), service_id=i.service_id
                    )
                )
        order = ServiceOrder(cmd.order_id, items, now, None, cmd.description, related_party=list(cmd.related_party))
        return order, [Problem("serviceOrderItem", str(exc))]


async def submit_service_order(
    cmd: commands.SubmitServiceOrder, uow: UnitOfWork, provisioning: ProvisioningContext
) -> Accepted:
    now = datetime.now(UTC)
    with uow:
        uow.orders.hold_lans()  # the LANs read below stay as read until this order is stored (or refused)
        if cmd.external_id:
            existing = uow.external_ids.order_of(cmd.external_id)
            if existing is not None:
                return Accepted(existing, False)
        order, problems = _order_of(cmd, now)
        problems = [*cmd.problems, *problems]
        if not problems:
            ids = [i.service_id for i in order.items if i.service_id and i.action is not ItemAction.ADD]
            services = {s: svc for s in ids if (svc := uow.services.get(s)) is not None}
            problems = validate_items(
                order,
                provisioning.catalog,
                lambda: provisioning.resolver(uow),
                services,
                lambda port: provisioning.pools.holder(PORTS, port),
                lambda: uow.services.list(states=HOLDING),
                uow.orders.open_items,
            )
        if problems:
            order.external_id = None  # a rejected order does not hold its externalId: a corrected one may use it
            order.reject(now, [_rejection(p) for p in problems])
            uow.orders.add(order)
            uow.commit()
            raise OrderRejectedError(order.id, problems)
        uow.orders.add(order)
        if cmd.external_id:
            uow.external_ids.claim(cmd.external_id, order.id)
        try:
            uow.commit()
        except IntegrityError:
            uow.rollback()  # the same externalId, accepted a moment ago by another request
            existing = uow.external_ids.order_of(cmd.external_id or "")
            if existing is None:
                raise
            return Accepted(existing, False)
        return Accepted(order.id, True)


async def cancel_service_order(cmd: commands.CancelServiceOrder, uow: UnitOfWork) -> dict[str, Any]:
    """Cancel the order if its commit has not started; either way the request is recorded and returned."""
    now = datetime.now(UTC)
    with uow:
        order = uow.orders.get(cmd.order_id, for_update=True)
        if order is None:
            raise NotFoundError(f"no service order {cmd.order_id!r}")
        try:
            order.cancel(now, cmd.reason)
        except DomainError as exc:
            record = uow.cancel_requests.add(order.id, "terminatedWithError", cmd.reason, str(exc), now)
            uow.commit()
            return record
        for item in order.items:
            service = uow.services.get(item.service_id) if item.service_id else None
            if isinstance(service, Service) and service.state is ServiceState.RESERVED:
                service.transition(ServiceState.TERMINATED, now)
                uow.allocations.release(service.id)
        record = uow.cancel_requests.add(order.id, "done", cmd.reason, f"order {order.id} cancelled", now)
        uow.commit()
        return record


HANDLERS: dict[type[commands.Command], Callable[..., Awaitable[Any]]] = {
    commands.SubmitServiceOrder: submit_service_order,
}
UOW_ONLY_HANDLERS: dict[type[commands.Command], Callable[..., Awaitable[Any]]] = {
    commands.CancelServiceOrder: cancel_service_order,
}
