"""Domain events as TMF hub notifications: which API, which event type, and the resource as it is
in the transaction that changed it (rendered there, so a notification shows the state it announces).

TMF666 v4 has no BillingAccountCreateEvent: a new account is announced by a
BillingAccountStateChangeEvent (its state becoming ``active``). TMF666's swagger names the
resource's container ``payload`` where the other APIs say ``event``: its notifications carry both.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from bss_bridge.domain import events as ev
from bss_bridge.hub.store import Published
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.tmf.catalog import render_offering, render_price, render_specification
from bss_bridge.tmf.common import instant
from bss_bridge.tmf.inventory import render_product
from bss_bridge.tmf.ordering import render_cancel, render_order
from bss_bridge.tmf.party import render_account, render_customer

EVENT_TYPES: dict[str, frozenset[str]] = {
    "tmf629": frozenset(
        {"CustomerCreateEvent", "CustomerAttributeValueChangeEvent", "CustomerStateChangeEvent", "CustomerDeleteEvent"}
    ),
    "tmf666": frozenset({"BillingAccountAttributeValueChangeEvent", "BillingAccountStateChangeEvent"}),
    "tmf620": frozenset(
        f"{kind}{change}Event"
        for kind in ("ProductSpecification", "ProductOffering", "ProductOfferingPrice")
        for change in ("Create", "AttributeValueChange", "StateChange", "Delete")
    ),
    "tmf622": frozenset(
        {
            "ProductOrderCreateEvent",
            "ProductOrderAttributeValueChangeEvent",
            "ProductOrderStateChangeEvent",
            "ProductOrderDeleteEvent",
            "CancelProductOrderCreateEvent",
            "CancelProductOrderStateChangeEvent",
        }
    ),
    "tmf637": frozenset(
        {"ProductCreateEvent", "ProductAttributeValueChangeEvent", "ProductStateChangeEvent", "ProductDeleteEvent"}
    ),
}


def notification(
    event_type: str, resource_key: str, resource: dict[str, Any], field_path: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventId": str(uuid.uuid4()),
        "eventTime": instant(datetime.now(UTC)),
        "eventType": event_type,
        "event": {resource_key: resource},
    }
    if field_path:
        body["fieldPath"] = field_path
    if resource_key == "billingAccount":
        body["payload"] = body["event"]
    return body


def _customer_name(uow: UnitOfWork, customer_id: str) -> str:
    customer = uow.customers.get(customer_id)
    return customer.name if customer is not None else customer_id


class Publisher:
    """``publisher(event, uow)``: the notifications a domain event makes (see ``UnitOfWork.commit``)."""

    def __init__(self, base_url: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.base = base_url.rstrip("/")
        self.clock = clock

    def __call__(self, event: ev.Event, uow: UnitOfWork) -> Iterable[Published]:
        found = self._render(event, uow)
        if found is None:
            return ()
        api, event_type, key, resource_id, resource, field_path = found
        return (Published(api, event_type, resource_id, notification(event_type, key, resource, field_path)),)

    def _render(self, e: ev.Event, uow: UnitOfWork) -> tuple[str, str, str, str, dict[str, Any], str | None] | None:
        base, now = self.base, self.clock()
        match e:
            case ev.CustomerCreated() | ev.CustomerChanged() | ev.CustomerStatusChanged():
                customer = uow.customers.get(e.customer_id)
                assert customer is not None
                kind = {ev.CustomerCreated: "Create", ev.CustomerChanged: "AttributeValueChange"}.get(
                    type(e), "StateChange"
                )
                fields = ",".join(e.fields) if isinstance(e, ev.CustomerChanged) else None
                return (
                    "tmf629",
                    f"Customer{kind}Event",
                    "customer",
                    customer.id,
                    render_customer(base, customer),
                    fields,
                )
            case ev.BillingAccountCreated() | ev.BillingAccountChanged() | ev.BillingAccountStateChanged():
                account = uow.accounts.get(e.account_id)
                assert account is not None
                change = isinstance(e, ev.BillingAccountChanged)
                kind = "AttributeValueChange" if change else "StateChange"
                fields = ",".join(e.fields) if isinstance(e, ev.BillingAccountChanged) else None
                return (
                    "tmf666",
                    f"BillingAccount{kind}Event",
                    "billingAccount",
                    account.id,
                    render_account(base, account, _customer_name(uow, account.customer_id)),
                    fields,
                )
            case ev.ProductSpecificationCreated() | ev.ProductSpecificationChanged():
                spec = uow.specifications.get(e.specification_id)
                assert spec is not None
                kind = "Create" if isinstance(e, ev.ProductSpecificationCreated) else "AttributeValueChange"
                return (
                    "tmf620",
                    f"ProductSpecification{kind}Event",
                    "productSpecification",
                    spec.id,
                    render_specification(base, spec),
                    None,
                )
            case ev.ProductOfferingCreated() | ev.ProductOfferingChanged():
                offering = uow.offerings.get(e.offering_id)
                assert offering is not None
                kind = "Create" if isinstance(e, ev.ProductOfferingCreated) else "AttributeValueChange"
                return (
                    "tmf620",
                    f"ProductOffering{kind}Event",
                    "productOffering",
                    offering.id,
                    render_offering(base, offering, now),
                    None,
                )
            case ev.OfferingPriceCreated() | ev.OfferingPriceRetired():
                offering = uow.offerings.get(e.offering_id)
                price = offering.price(e.price_id) if offering else None
                assert offering is not None and price is not None
                kind = "Create" if isinstance(e, ev.OfferingPriceCreated) else "AttributeValueChange"
                field = None if isinstance(e, ev.OfferingPriceCreated) else "validFor"
                return (
                    "tmf620",
                    f"ProductOfferingPrice{kind}Event",
                    "productOfferingPrice",
                    price.id,
                    render_price(base, price, now, offering.name),
                    field,
                )
            case ev.ProductOrderCreated() | ev.ProductOrderStateChanged() | ev.ProductOrderItemStateChanged():
                order = uow.orders.get(e.order_id)
                assert order is not None
                kind = {ev.ProductOrderCreated: "Create", ev.ProductOrderStateChanged: "StateChange"}.get(
                    type(e), "AttributeValueChange"
                )
                field = "productOrderItem.state" if isinstance(e, ev.ProductOrderItemStateChanged) else None
                return "tmf622", f"ProductOrder{kind}Event", "productOrder", order.id, render_order(base, order), field
            case ev.CancelProductOrderCreated() | ev.CancelProductOrderStateChanged():
                request = uow.cancellations.get(e.cancel_id)
                assert request is not None
                kind = "Create" if isinstance(e, ev.CancelProductOrderCreated) else "StateChange"
                return (
                    "tmf622",
                    f"CancelProductOrder{kind}Event",
                    "cancelProductOrder",
                    request.id,
                    render_cancel(base, request),
                    None,
                )
            case ev.SubscriptionCreated() | ev.SubscriptionStatusChanged() | ev.SubscriptionChanged():
                subscription = uow.subscriptions.get(e.subscription_id)
                assert subscription is not None
                kind = {ev.SubscriptionCreated: "Create", ev.SubscriptionStatusChanged: "StateChange"}.get(
                    type(e), "AttributeValueChange"
                )
                fields = ",".join(e.fields) if isinstance(e, ev.SubscriptionChanged) else None
                return (
                    "tmf637",
                    f"Product{kind}Event",
                    "product",
                    subscription.id,
                    render_product(base, subscription),
                    fields,
                )
        return None
