"""The bridge assembled: its flows, the hubs it listens to on both sides, and the safety-net poll.

Sources (each a hub subscription, registered once and kept in ``bss_bridge_listeners``):

- ``bss:tmf622`` product orders created or moved: carried down as service orders;
- ``bss:tmf637`` products whose status changed: a suspension or a resumption carried down;
- ``oss:tmf641`` service orders whose state changed: their outcome applied to the product order;
- ``oss:tmf642`` alarms raised, changed, cleared: incidents, outages and tickets per customer;
- ``oss:tmf635`` usage records published: imported into billing under their product.

Every flow is also driven by :meth:`Bridge.poll`, which reads both sides again: what a hub never
delivered (the bridge was down, a subscription was lost, an event predates the subscription) is
found there, and what was already done is recognised and left alone.
"""

from __future__ import annotations

import logging
from typing import Any

from bss_bridge.bridge.alarms import Alarms, TicketDesk
from bss_bridge.bridge.context import BridgeContext
from bss_bridge.bridge.delivery import Delivery
from bss_bridge.bridge.inbox import Inbox, Source
from bss_bridge.bridge.orders import ITEM, Orders
from bss_bridge.bridge.reconcile import REPAIR, Reconciler
from bss_bridge.bridge.states import STATE, States
from bss_bridge.bridge.usage import Usage
from bss_bridge.domain import bridge as rules
from bss_bridge.oss.client import ALARM, ORDERING, USAGE, OssApi, TmfClient
from bss_bridge.storage.bridge_store import InboxItem
from bss_bridge.tmf.common import BASES

logger = logging.getLogger(__name__)

SOURCES = (
    Source("bss:tmf622", BASES["tmf622"], "eventType=ProductOrderCreateEvent,ProductOrderStateChangeEvent"),
    Source("bss:tmf637", BASES["tmf637"], "eventType=ProductStateChangeEvent"),
    Source("oss:tmf641", ORDERING, "eventType=ServiceOrderStateChangeEvent"),
    Source("oss:tmf642", ALARM, "eventType=AlarmCreateEvent,AlarmStateChangeEvent,AlarmAttributeValueChangeEvent"),
    Source("oss:tmf635", USAGE, "eventType=UsageCreateEvent"),
)


def _event(item: InboxItem, key: str) -> dict[str, Any]:
    event = item.body.get("event")
    found = event.get(key) if isinstance(event, dict) else None
    if not isinstance(found, dict) or "id" not in found:
        raise ValueError(f"a {item.event_type} without event.{key}.id")
    return found


class Bridge:
    def __init__(self, ctx: BridgeContext, bss_api: TmfClient, tickets: TicketDesk | None = None) -> None:
        self.ctx = ctx
        self.bss_api = bss_api
        self.orders = Orders(ctx)
        self.states = States(ctx)
        self.alarms = Alarms(ctx, tickets)
        self.usage = Usage(ctx)
        self.reconciler = Reconciler(ctx, self.states)
        self.delivery = Delivery(
            ctx,
            {ITEM: self.orders.outcome, STATE: self.states.outcome, REPAIR: self.reconciler.outcome},
            then={STATE: self.states.after},
        )
        self.inbox = Inbox(
            ctx,
            {
                "bss:tmf622": self._product_order,
                "bss:tmf637": self._product,
                "oss:tmf641": self._service_order,
                "oss:tmf642": self._alarm,
                "oss:tmf635": self._usage,
            },
        )
        self.sources = SOURCES

    @property
    def oss(self) -> OssApi:
        return self.ctx.oss

    async def aclose(self) -> None:
        await self.ctx.oss.aclose()
        await self.bss_api.aclose()

    async def _product_order(self, item: InboxItem) -> None:
        order = _event(item, "productOrder")
        if order.get("state") in ("acknowledged", "inProgress"):
            await self.orders.carry(str(order["id"]))

    async def _product(self, item: InboxItem) -> None:
        await self.states.sync(str(_event(item, "product")["id"]))

    async def _service_order(self, item: InboxItem) -> None:
        await self.delivery.apply(rules.service_order_view(_event(item, "serviceOrder")))

    async def _alarm(self, item: InboxItem) -> None:
        await self.alarms.judge(rules.alarm_view(_event(item, "alarm")))

    async def _usage(self, item: InboxItem) -> None:
        await self.usage.carry([_event(item, "usage")])

    async def poll(self) -> None:
        """Read both sides again; each part on its own, so one side down stops only its part."""
        for name, part in (
            ("product order", self.orders.poll),
            ("service order", self.delivery.check_sent),
            ("network state", self.states.poll),
            ("alarm", self.alarms.poll),
            ("usage", self.usage.poll),
        ):
            try:
                await part()
            except Exception as exc:
                logger.warning("bridge poll of %s failed: %s: %s", name, type(exc).__name__, exc)
