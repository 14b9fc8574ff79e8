"""Domain events of the BSS: facts in the past tense, immutable. Each names the resource it is
about, so the unit of work can publish it on that API's hub in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every BSS domain event."""


@dataclass(frozen=True, slots=True)
class CustomerCreated(Event):
    customer_id: str


@dataclass(frozen=True, slots=True)
class CustomerChanged(Event):
    customer_id: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CustomerStatusChanged(Event):
    customer_id: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class BillingAccountCreated(Event):
    account_id: str


@dataclass(frozen=True, slots=True)
class BillingAccountChanged(Event):
    account_id: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BillingAccountStateChanged(Event):
    account_id: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ProductSpecificationCreated(Event):
    specification_id: str


@dataclass(frozen=True, slots=True)
class ProductSpecificationChanged(Event):
    specification_id: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProductOfferingCreated(Event):
    offering_id: str


@dataclass(frozen=True, slots=True)
class ProductOfferingChanged(Event):
    offering_id: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OfferingPriceCreated(Event):
    """A new version of one of an offering's prices (the first version too)."""

    offering_id: str
    price_id: str


@dataclass(frozen=True, slots=True)
class OfferingPriceRetired(Event):
    """A price version's window was closed because a newer version starts."""

    offering_id: str
    price_id: str


@dataclass(frozen=True, slots=True)
class ProductOrderCreated(Event):
    order_id: str


@dataclass(frozen=True, slots=True)
class ProductOrderStateChanged(Event):
    order_id: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ProductOrderItemStateChanged(Event):
    order_id: str
    item_id: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class CancelProductOrderCreated(Event):
    cancel_id: str
    order_id: str


@dataclass(frozen=True, slots=True)
class CancelProductOrderStateChanged(Event):
    cancel_id: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class SubscriptionCreated(Event):
    subscription_id: str


@dataclass(frozen=True, slots=True)
class SubscriptionStatusChanged(Event):
    subscription_id: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class SubscriptionChanged(Event):
    """Its terms changed: a modify order completed, or its prices were migrated."""

    subscription_id: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TroubleTicketCreated(Event):
    ticket_id: str


@dataclass(frozen=True, slots=True)
class TroubleTicketStatusChanged(Event):
    ticket_id: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class TroubleTicketResolved(Event):
    """Besides its status change: TMF621 announces a resolution on its own (``TroubleTicketResolvedEvent``)."""

    ticket_id: str
