"""Suspension down: a subscription's status decides its service's state on the network.

A subscription ``suspended`` (by dunning, or an operator) asks for its TMF638 service to be
``inactive``; ``active`` again asks for ``active``. Each change is a TMF641 modify order with the
state asked, owed under ``<subscription>:state:<n>`` (n counts the changes made for it, taken in
the same transaction as the request is stored, so two processes never order the same change
twice); the OSS verifies it with traffic (none while inactive, some once active). One change is
in flight per subscription; when it ends the subscription is judged again, so a quick
suspend-resume ends where the subscription is. A failed change is tried again after a back-off.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bss_bridge.bridge.context import BridgeContext
from bss_bridge.domain import bridge as rules
from bss_bridge.storage.bridge_store import DONE, NewRequest, Request

logger = logging.getLogger(__name__)
STATE = "state"


class States:
    def __init__(self, ctx: BridgeContext) -> None:
        self.ctx = ctx

    async def sync(self, subscription_id: str) -> None:
        async with self.ctx.lock(f"sub:{subscription_id}"):
            self._sync(subscription_id)

    def _sync(self, subscription_id: str) -> None:
        link = self.ctx.store.link(subscription_id)
        if link is None or link.network_state not in ("active", "inactive"):
            return
        with self.ctx.bss.uow() as uow:
            subscription = uow.subscriptions.get(subscription_id)
            customer = uow.customers.get(link.customer_id)
        wanted = rules.network_state(subscription.status.value) if subscription is not None else None
        if wanted is None or wanted == link.network_state:
            return
        earlier = self.ctx.store.requests(subscription_id=subscription_id, kind=STATE)
        if any(r.state != DONE for r in earlier):
            return  # one change in flight at a time; judged again when it ends
        failed = [r for r in earlier if r.outcome != "completed"]
        if failed and failed[-1].done_at is not None:
            wait = timedelta(seconds=self.ctx.delay_s(len(failed)))
            if self.ctx.now() < failed[-1].done_at + wait:
                return
        generation = link.generation + 1
        key = rules.state_key(subscription_id, generation)
        party = rules.Party(link.customer_id, rules.label(customer.name if customer else "", link.customer_id))
        text = f"product {subscription_id} is {subscription.status.value if subscription else '?'}: service {wanted}"
        body = rules.modify_order(key, link.service_id, party, text, state=wanted)
        if self.ctx.store.add_state_request(
            subscription_id, generation, NewRequest(key, STATE, body, subscription_id=subscription_id), self.ctx.now()
        ):
            logger.info("product %s: its service %s is to be %s (%s)", subscription_id, link.service_id, wanted, key)

    async def outcome(self, request: Request, ok: bool, reason: str, view: rules.ServiceOrderView | None) -> None:
        """A state change ended (called by the delivery under the subscription's lock)."""
        assert request.subscription_id is not None
        wanted = request.body["serviceOrderItem"][0]["service"].get("state")
        if ok and wanted in ("active", "inactive"):
            self.ctx.store.set_network_state(request.subscription_id, wanted, self.ctx.now())
        elif not ok:
            logger.warning("product %s: its service could not be made %s: %s", request.subscription_id, wanted, reason)

    async def after(self, request: Request) -> None:
        """Judge the subscription again once a change ended (it may have moved meanwhile)."""
        if request.subscription_id:
            await self.sync(request.subscription_id)

    async def poll(self) -> None:
        """Every subscription whose service's state differs from what its status asks."""
        links = {link.subscription_id: link for link in self.ctx.store.links(states=["active", "inactive"])}
        if not links:
            return
        with self.ctx.bss.uow() as uow:
            subscriptions = uow.subscriptions.get_many(sorted(links))
        for subscription_id, subscription in subscriptions.items():
            wanted = rules.network_state(subscription.status.value)
            if wanted is not None and wanted != links[subscription_id].network_state:
                await self.sync(subscription_id)
