"""Orders down: each product order item (TMF622) becomes a TMF641 service order on the OSS, and the
service order's outcome drives the item.

1. **Carry** (a ``ProductOrderCreateEvent``, or the poll finding an order not carried yet): the
   order starts (``inProgress``) and each of its leaf items becomes a request owed to the OSS,
   stored under its ``externalId`` ``<order>:<item>`` with the TMF641 body it will be sent as (the
   characteristics mapped as the product specification says). A modify that changes nothing on
   the network completes at once.
2. **Send** (the delivery loop): each owed request is POSTed until the OSS has it (201, or 200
   when it already had that ``externalId``: a retry never orders twice); a refusal fails the item.
3. **Apply** (a ``ServiceOrderStateChangeEvent``, or the poll asking the OSS): a completed order
   completes the item at the order's ``completionDate``, the moment the service was verified, so
   a new subscription is active (and billed) from then; a failed one fails the item, and a failed
   activation aborts its subscription: nothing is charged. Each step reads the BSS first and does
   only what is not done yet, so a repeat (a redelivered event, the poll, a restart) changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bss_bridge.bridge.context import BridgeContext
from bss_bridge.domain import bridge as rules
from bss_bridge.domain.catalog import ProductSpecification, Value
from bss_bridge.domain.commands import CompleteOrderItem, FailOrderItem, StartProductOrder
from bss_bridge.domain.errors import InvalidTransitionError
from bss_bridge.domain.order import FINAL_ITEM_STATES, ItemAction, OrderItem, OrderState, ProductOrder
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage.bridge_store import NewRequest, Request

logger = logging.getLogger(__name__)
ITEM = "item"
CARRIED_STATES = (OrderState.ACKNOWLEDGED.value, OrderState.IN_PROGRESS.value)


@dataclass(frozen=True, slots=True)
class Planned:
    """An item's request, or why it needs none (``at_once``: complete it now; ``failure``: fail it)."""

    item: OrderItem
    request: NewRequest | None = None
    failure: str = ""


def add_body(
    spec: Any,
    characteristics: Mapping[str, Value],
    party: rules.Party,
    key: str,
    text: str,
    start: datetime | None = None,
) -> dict[str, Any]:
    """The TMF641 order adding the service a product of ``spec`` with ``characteristics`` needs
    (the customer's name among them, for the OSS's configuration labels)."""
    values = rules.service_characteristics(spec, characteristics)
    values.setdefault("customer", party.name)
    return rules.add_order(key, spec.service_specification, values, party, text, start)


def spec_of(uow: UnitOfWork, offering_id: str | None) -> ProductSpecification | None:
    offering = uow.offerings.get(offering_id) if offering_id else None
    if offering is None or offering.specification_id is None:
        return None
    return uow.specifications.get(offering.specification_id)


class Orders:
    def __init__(self, ctx: BridgeContext) -> None:
        self.ctx = ctx

    # -- 1. carry ---------------------------------------------------------------------------

    def _plan(self, uow: UnitOfWork, order: ProductOrder) -> list[Planned]:
        customer = uow.customers.get(order.customer_id)
        party = rules.Party(order.customer_id, rules.label(customer.name if customer else "", order.customer_id))
        leaves = [i for i in order.leaves() if i.state not in FINAL_ITEM_STATES and i.subscription_id]
        subscriptions = uow.subscriptions.get_many([i.subscription_id for i in leaves if i.subscription_id])
        planned = []
        for item in leaves:
            assert item.subscription_id is not None
            subscription = subscriptions[item.subscription_id]
            spec = spec_of(uow, item.offering_id or subscription.offering_id)
            key = rules.item_key(order.id, item.id)
            text = f"product order {order.id} item {item.id} ({item.action.value} product {subscription.id})"
            link = self.ctx.store.link(subscription.id)
            if spec is None:
                planned.append(Planned(item, failure=f"no product specification for offering {item.offering_id}"))
                continue
            if item.action is ItemAction.ADD:
                body = add_body(spec, item.characteristics, party, key, text, order.requested_start)
            elif link is None or link.network_state == "terminated":
                planned.append(Planned(item, failure=f"no network service is known for product {subscription.id}"))
                continue
            elif item.action is ItemAction.MODIFY:
                changed = rules.changed_characteristics(spec, subscription.characteristics, item.characteristics)
                if not changed:
                    planned.append(Planned(item))  # a price or offering change only: nothing to do on the network
                    continue
                body = rules.modify_order(key, link.service_id, party, text, changed)
            else:
                body = rules.delete_order(key, link.service_id, party, text)
            request = NewRequest(key, ITEM, body, order.id, item.id, subscription.id)
            planned.append(Planned(item, request))
        return planned

    async def carry(self, order_id: str) -> None:
        """Take a product order: owe the OSS a service order per item, start the order."""
        async with self.ctx.lock(f"order:{order_id}"):
            with self.ctx.bss.uow() as uow:
                order = uow.orders.get(order_id)
                if order is None or order.state.value not in CARRIED_STATES:
                    return
                planned = self._plan(uow, order)
                started = order.state is OrderState.IN_PROGRESS
            known = {r.item_id for r in self.ctx.store.requests(order_id=order_id)}
            new = [p for p in planned if p.item.id not in known]
            if not new and started:
                return
            self.ctx.store.add_requests((p.request for p in new if p.request is not None), self.ctx.now())
            self.ctx.failpoints.reach("order-carried")
            if not started:
                await self._start(order_id)
            for plan in new:
                if plan.request is None:  # settled here: complete (nothing to change) or fail at once
                    await self._settle(order_id, plan.item.id, ok=not plan.failure, reason=plan.failure, at=None)
            if new:
                logger.info("product order %s carried: %d item(s) owed to the OSS", order_id, len(new))

    async def _start(self, order_id: str) -> None:
        with contextlib.suppress(InvalidTransitionError):  # started meanwhile (the other path got there first)
            await self.ctx.bss.handle(StartProductOrder(order_id))

    # -- 3. the outcome of an item's service order (called by the delivery, under the order's lock) --

    async def outcome(self, request: Request, ok: bool, reason: str, view: rules.ServiceOrderView | None) -> None:
        assert request.product_order_id is not None and request.item_id is not None
        with self.ctx.bss.uow() as uow:
            order = uow.orders.get(request.product_order_id)
            item = order.item(request.item_id) if order is not None else None
            if order is None or item is None or item.state in FINAL_ITEM_STATES:
                return  # applied before (the request was not marked done yet)
            subscription = uow.subscriptions.get(item.subscription_id or "")
            spec = spec_of(uow, item.offering_id)
            acknowledged = order.state is OrderState.ACKNOWLEDGED
        if acknowledged:
            await self._start(order.id)
        if ok and item.action is ItemAction.ADD and view is not None and subscription is not None:
            service_id = view.service_ids[0] if view.service_ids else ""
            spec_id = spec.service_specification if spec is not None else ""
            self.ctx.store.set_link(
                subscription.id, service_id, subscription.customer_id, spec_id, "active", self.ctx.now()
            )
        elif ok and item.action is ItemAction.DELETE and subscription is not None:
            self.ctx.store.set_network_state(subscription.id, "terminated", self.ctx.now())
        at = view.completed_at if view is not None else None
        await self._settle(order.id, item.id, ok=ok, reason=reason, at=at)
        self.ctx.failpoints.reach("order-applied")

    async def _settle(self, order_id: str, item_id: str, *, ok: bool, reason: str, at: Any) -> None:
        """Complete or fail the item at ``at`` (never before its order, nor before the product's
        current terms began: a clock between the two sides may differ slightly)."""
        with self.ctx.bss.uow() as uow:
            order = uow.orders.get(order_id)
            if order is None:
                return
            item = order.item(item_id)
            if item.state in FINAL_ITEM_STATES:
                return
            floor = order.order_date
            subscription = uow.subscriptions.get(item.subscription_id or "")
            if subscription is not None and subscription.current.start is not None:
                floor = max(floor, subscription.current.start)
        moment = max(at or self.ctx.now(), floor)
        if ok:
            await self.ctx.bss.handle(CompleteOrderItem(order_id, item_id, moment))
        else:
            await self.ctx.bss.handle(FailOrderItem(order_id, item_id, reason or "failed", moment))

    # -- the safety net ---------------------------------------------------------------------

    def uncarried(self) -> list[str]:
        """Product orders waiting for the bridge: acknowledged, or in progress with an item not owed yet."""
        with self.ctx.bss.uow() as uow:
            orders, _ = uow.orders.list({"state": list(CARRIED_STATES)})
            candidates = {o.id: o for o in orders}
        found = []
        for order_id, order in candidates.items():
            owed = {r.item_id for r in self.ctx.store.requests(order_id=order_id)}
            open_items = [i for i in order.leaves() if i.state not in FINAL_ITEM_STATES]
            if order.state is OrderState.ACKNOWLEDGED or any(i.id not in owed for i in open_items):
                found.append(order_id)
        return found

    async def poll(self) -> None:
        """Carry what was missed (an order placed while the bridge was down, an event lost)."""
        for order_id in self.uncarried():
            await self.carry(order_id)
