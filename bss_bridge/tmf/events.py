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

from sqlalchemy import select

from bss_bridge.domain import billing_events as bev
from bss_bridge.domain import events as ev
from bss_bridge.domain.errors import found
from bss_bridge.hub.store import Published
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage.billing_tables import LedgerRow
from bss_bridge.tmf.billing import render_bill, render_payment
from bss_bridge.tmf.catalog import render_offering, render_price, render_specification
from bss_bridge.tmf.common import COLLECTIONS, instant
from bss_bridge.tmf.inventory import render_product
from bss_bridge.tmf.ordering import render_cancel, render_order
from bss_bridge.tmf.party import render_account, render_customer
from bss_bridge.tmf.ticket import render_ticket

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
    "tmf678": frozenset({"CustomerBillCreateEvent", "CustomerBillStateChangeEvent"}),
    "tmf676": frozenset({"PaymentCreateEvent"}),
    "tmf621": frozenset({"TroubleTicketCreateEvent", "TroubleTicketStatusChangeEvent", "TroubleTicketResolvedEvent"}),
}


def notification(
    event_type: str, resource_key: str, resource: dict[str, Any], at: datetime, field_path: str | None = None
) -> dict[str, Any]:
    """The notification of a change made ``at`` (the BSS's clock: what the change itself records)."""
    body: dict[str, Any] = {
        "eventId": str(uuid.uuid4()),
        "eventTime": instant(at),
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


# domain event -> (TMF resource, its change); TMF666 has no create event: an account's birth is a state change
CHANGES: dict[type[ev.Event], tuple[str, str]] = {
    ev.CustomerCreated: ("customer", "Create"),
    ev.CustomerChanged: ("customer", "AttributeValueChange"),
    ev.CustomerStatusChanged: ("customer", "StateChange"),
    ev.BillingAccountCreated: ("billingAccount", "StateChange"),
    ev.BillingAccountChanged: ("billingAccount", "AttributeValueChange"),
    ev.BillingAccountStateChanged: ("billingAccount", "StateChange"),
    ev.ProductSpecificationCreated: ("productSpecification", "Create"),
    ev.ProductSpecificationChanged: ("productSpecification", "AttributeValueChange"),
    ev.ProductOfferingCreated: ("productOffering", "Create"),
    ev.ProductOfferingChanged: ("productOffering", "AttributeValueChange"),
    ev.OfferingPriceCreated: ("productOfferingPrice", "Create"),
    ev.OfferingPriceRetired: ("productOfferingPrice", "AttributeValueChange"),
    ev.ProductOrderCreated: ("productOrder", "Create"),
    ev.ProductOrderStateChanged: ("productOrder", "StateChange"),
    ev.ProductOrderItemStateChanged: ("productOrder", "AttributeValueChange"),
    ev.CancelProductOrderCreated: ("cancelProductOrder", "Create"),
    ev.CancelProductOrderStateChanged: ("cancelProductOrder", "StateChange"),
    ev.SubscriptionCreated: ("product", "Create"),
    ev.SubscriptionStatusChanged: ("product", "StateChange"),
    ev.SubscriptionChanged: ("product", "AttributeValueChange"),
    bev.CustomerBillCreated: ("customerBill", "Create"),
    bev.CustomerBillStateChanged: ("customerBill", "StateChange"),
    bev.PaymentRecorded: ("payment", "Create"),
    ev.TroubleTicketCreated: ("troubleTicket", "Create"),
    ev.TroubleTicketStatusChanged: ("troubleTicket", "StatusChange"),  # TMF621 says status, not state
    ev.TroubleTicketResolved: ("troubleTicket", "Resolved"),
}


def field_path(e: ev.Event) -> str | None:
    """What an attribute change changed (TMF's ``fieldPath``)."""
    if isinstance(e, ev.ProductOrderItemStateChanged):
        return "productOrderItem.state"
    if isinstance(e, ev.OfferingPriceRetired):
        return "validFor"
    fields: tuple[str, ...] | None = getattr(e, "fields", None)
    return ",".join(fields) if fields else None


class Publisher:
    """``publisher(event, uow)``: the notifications a domain event makes (see ``UnitOfWork.commit``)."""

    def __init__(self, base_url: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.base = base_url.rstrip("/")
        self.clock = clock

    def __call__(self, event: ev.Event, uow: UnitOfWork) -> Iterable[Published]:
        change = CHANGES.get(type(event))
        if change is None:
            return ()
        key, kind = change
        renderers = {
            "customer": self._customer,
            "billingAccount": self._account,
            "productSpecification": self._specification,
            "productOffering": self._offering,
            "productOfferingPrice": self._price,
            "productOrder": self._order,
            "cancelProductOrder": self._cancellation,
            "product": self._product,
            "customerBill": self._bill,
            "payment": self._payment,
            "troubleTicket": self._ticket,
        }
        resource_id, resource = renderers[key](event, uow)
        event_type = f"{key[0].upper()}{key[1:]}{kind}Event"
        fields = field_path(event) if kind == "AttributeValueChange" else None
        body = notification(event_type, key, resource, self.clock(), fields)
        return (Published(COLLECTIONS[key], event_type, resource_id, body),)

    # One renderer per resource: (event, uow) -> (id, the resource as it is in this transaction)

    def _customer(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        customer = found(uow.customers.get(e.customer_id), "customer", e.customer_id)
        return customer.id, render_customer(self.base, customer)

    def _account(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        account = found(uow.accounts.get(e.account_id), "billingAccount", e.account_id)
        return account.id, render_account(self.base, account, _customer_name(uow, account.customer_id))

    def _specification(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        spec = found(uow.specifications.get(e.specification_id), "productSpecification", e.specification_id)
        return spec.id, render_specification(self.base, spec)

    def _offering(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        offering = found(uow.offerings.get(e.offering_id), "productOffering", e.offering_id)
        return offering.id, render_offering(self.base, offering, self.clock())

    def _price(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        offering = found(uow.offerings.get(e.offering_id), "productOffering", e.offering_id)
        price = found(offering.price(e.price_id), "productOfferingPrice", e.price_id)
        return price.id, render_price(self.base, price, self.clock(), offering.name)

    def _order(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        order = found(uow.orders.get(e.order_id), "productOrder", e.order_id)
        return order.id, render_order(self.base, order)

    def _cancellation(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        request = found(uow.cancellations.get(e.cancel_id), "cancelProductOrder", e.cancel_id)
        return request.id, render_cancel(self.base, request)

    def _product(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        subscription = found(uow.subscriptions.get(e.subscription_id), "product", e.subscription_id)
        return subscription.id, render_product(self.base, subscription)

    def _bill(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        bill = found(uow.invoices.get(e.bill_id), "customerBill", e.bill_id)
        return bill.id, render_bill(self.base, bill)

    def _payment(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        row = uow.session.scalars(
            select(LedgerRow).where(LedgerRow.kind == "payment", LedgerRow.key == e.payment_key)
        ).one()
        return row.key, render_payment(self.base, row)

    def _ticket(self, e: Any, uow: UnitOfWork) -> tuple[str, dict[str, Any]]:
        ticket = found(uow.tickets.get(e.ticket_id), "troubleTicket", e.ticket_id)
        return ticket.id, render_ticket(self.base, ticket)
