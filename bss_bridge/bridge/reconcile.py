"""Reconciliation: the BSS's products against the OSS's TMF638 services, reported, then repaired.

The comparison is the domain's (``domain.reconcile``); here both inventories are read (the BSS's
database, the OSS over HTTP) and the repairs made. A repair is owed to the OSS like any order (in
the outbox, under ``repair:<subject>:<kind>:<n>``, retried, deduplicated by the OSS on its
externalId), so a repair is never ordered twice while one is on its way, and the running bridge
applies its outcome (a re-ordered service is linked to its product when it completes):

- ``unlinked``: the link is made again at once (nothing to order);
- ``state``: the link takes the OSS's word, then the usual state change is owed (``bridge.states``);
- ``missing``: the product's service is ordered again (its current characteristics);
- ``orphan``: the service is deleted.
"""

from __future__ import annotations

import logging
from typing import Any

from bss_bridge.bridge.context import BridgeContext
from bss_bridge.bridge.orders import add_body, spec_of
from bss_bridge.bridge.states import States
from bss_bridge.domain import bridge as rules
from bss_bridge.domain.reconcile import Divergence, NetworkService, Product, compare
from bss_bridge.domain.subscription import SubscriptionStatus
from bss_bridge.storage.bridge_store import DONE, NewRequest, Request

logger = logging.getLogger(__name__)
REPAIR = "repair"
JUDGED = [s.value for s in SubscriptionStatus if s not in (SubscriptionStatus.CANCELLED,)]


class Reconciler:
    def __init__(self, ctx: BridgeContext, states: States) -> None:
        self.ctx = ctx
        self.states = states

    async def compare(self) -> list[Divergence]:
        links = {link.subscription_id: link for link in self.ctx.store.links()}
        with self.ctx.bss.uow() as uow:
            subscriptions, _ = uow.subscriptions.list({"status": JUDGED})
        products = []
        for sub in subscriptions:
            link = links.get(sub.id)
            origin = rules.item_key(sub.order_id, sub.order_item_id) if sub.order_id and sub.order_item_id else None
            service, state = (link.service_id, link.network_state) if link else (None, None)
            products.append(Product(sub.id, sub.status.value, origin, service, state))
        services = [
            NetworkService(str(s["id"]), str(s.get("state", "")), s.get("externalId"))
            for s in await self.ctx.oss.services()
            if s.get("id")
        ]
        return compare(products, services)

    async def repair(self, divergences: list[Divergence]) -> list[str]:
        """Mend each divergence; returns what was done, one line each."""
        done = []
        for d in divergences:
            subject = d.product or d.service or ""
            if d.kind == "unlinked" and d.product and d.service:
                self._relink(d.product, d.service, d.oss)
                done.append(f"product {d.product}: linked again to service {d.service}")
            elif d.kind == "state" and d.product:
                self.ctx.store.set_network_state(d.product, d.oss, self.ctx.now())
                await self.states.sync(d.product)
                done.append(f"product {d.product}: service {d.service} to be made {d.bss.split(': ')[-1]}")
            elif d.kind in ("missing", "orphan") and self._owed(subject):
                done.append(f"{d.kind} {subject}: a repair is on its way already")
            elif d.kind == "missing" and d.product:
                key = self._key("add", d.product)
                body = self._add_body(d.product, key)
                if body is None:
                    done.append(f"product {d.product}: no product specification to order its service by")
                    continue
                self.ctx.store.add_requests([NewRequest(key, REPAIR, body, subscription_id=d.product)], self.ctx.now())
                done.append(f"product {d.product}: its service ordered again ({key})")
            elif d.kind == "orphan" and d.service:
                key = self._key("delete", d.service)
                party = rules.Party("reconciliation", "reconciliation")
                body = rules.delete_order(
                    key, d.service, party, f"reconciliation: no product wants service {d.service}"
                )
                self.ctx.store.add_requests([NewRequest(key, REPAIR, body)], self.ctx.now())
                done.append(f"service {d.service}: deleted ({key})")
        for line in done:
            logger.info("reconciliation: %s", line)
        return done

    def _repairs(self, subject: str) -> list[Request]:
        """The repairs ordered for a product (its service again) or a service (deleted)."""
        return [r for r in self.ctx.store.requests(kind=REPAIR) if subject in (r.subscription_id, _service_of(r))]

    def _owed(self, subject: str) -> bool:
        return any(r.state != DONE for r in self._repairs(subject))

    def _key(self, kind: str, subject: str) -> str:
        return rules.repair_key(kind, subject, len(self._repairs(subject)) + 1)

    def _relink(self, product: str, service: str, state: str) -> None:
        with self.ctx.bss.uow() as uow:
            sub = uow.subscriptions.get(product)
            spec = spec_of(uow, sub.offering_id) if sub is not None else None
        if sub is None:
            return
        spec_id = spec.service_specification if spec is not None else ""
        # the OSS's state is believed; the state flow then asks for the one the product wants
        self.ctx.store.set_link(product, service, sub.customer_id, spec_id, state, self.ctx.now())

    def _add_body(self, product: str, key: str) -> dict[str, Any] | None:
        with self.ctx.bss.uow() as uow:
            sub = uow.subscriptions.get(product)
            spec = spec_of(uow, sub.offering_id) if sub is not None else None
            customer = uow.customers.get(sub.customer_id) if sub is not None else None
        if sub is None or spec is None:
            return None
        party = rules.Party(sub.customer_id, rules.label(customer.name if customer else "", sub.customer_id))
        return add_body(spec, sub.characteristics, party, key, f"reconciliation: product {product} has no service")

    async def outcome(self, request: Request, ok: bool, reason: str, view: rules.ServiceOrderView | None) -> None:
        """A repair ended: a re-ordered service is linked to its product."""
        action = request.body["serviceOrderItem"][0]["action"]
        if not ok:
            logger.warning("reconciliation repair %s failed: %s", request.key, reason)
        elif action == "add" and request.subscription_id and view is not None and view.service_ids:
            self._relink(request.subscription_id, view.service_ids[0], "active")


def _service_of(request: Request) -> str | None:
    service = request.body.get("serviceOrderItem", [{}])[0].get("service", {})
    return service.get("id") if isinstance(service, dict) else None
