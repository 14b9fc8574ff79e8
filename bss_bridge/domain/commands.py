"""Commands of the BSS: imperative, immutable, each handled by exactly one handler that raises on
failure (and then stores nothing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bss_bridge.domain.catalog import CharacteristicSpec, PriceTerm, Value
from bss_bridge.domain.party import AccountTerms, ContactMedium, PartyRef
from bss_bridge.domain.pricing import SlaTerms
from bss_bridge.domain.requests import OrderRequest
from bss_bridge.domain.window import Window


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every BSS command."""


@dataclass(frozen=True, slots=True)
class CreateCustomer(Command):
    name: str
    contacts: tuple[ContactMedium, ...] = ()
    engaged_party: PartyRef | None = None
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateCustomer(Command):
    customer_id: str
    name: str | None = None
    contacts: tuple[ContactMedium, ...] | None = None
    status: str | None = None
    status_reason: str = ""


@dataclass(frozen=True, slots=True)
class OpenBillingAccount(Command):
    customer_id: str
    name: str
    currency: str
    terms: AccountTerms
    account_id: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateBillingAccount(Command):
    """``terms`` holds the AccountTerms fields to change (bill_cycle, time_zone, tax_rate_pct...)."""

    account_id: str
    name: str | None = None
    terms: Mapping[str, object] = field(default_factory=dict)
    state: str | None = None


@dataclass(frozen=True, slots=True)
class DefineSpecification(Command):
    specification_id: str
    name: str
    service_specification: str
    characteristics: tuple[CharacteristicSpec, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class UpdateSpecification(Command):
    specification_id: str
    name: str | None = None
    description: str | None = None
    lifecycle_status: str | None = None


@dataclass(frozen=True, slots=True)
class PriceDefinition:
    """A price as the catalog file or the API gives it: its first version starts at ``valid_from``
    (None: the offering's start, else now)."""

    name: str
    currency: str
    charge: PriceTerm
    valid_from: datetime | None = None


@dataclass(frozen=True, slots=True)
class DefineOffering(Command):
    offering_id: str
    name: str
    specification_id: str | None = None
    bundled: tuple[str, ...] = ()
    description: str = ""
    sellable: bool = True
    valid_for: Window = field(default_factory=Window)
    lifecycle_status: str = "active"
    fixed: Mapping[str, Value] = field(default_factory=dict)
    sla: SlaTerms | None = None
    prices: tuple[PriceDefinition, ...] = ()


@dataclass(frozen=True, slots=True)
class UpdateOffering(Command):
    """``changes``: name, description, sellable, valid_for or lifecycle_status."""

    offering_id: str
    changes: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ChangePrice(Command):
    """A new version of one of an offering's prices, from ``price.valid_from`` (None: now) on."""

    offering_id: str
    price: PriceDefinition


@dataclass(frozen=True, slots=True)
class SubmitProductOrder(Command):
    request: OrderRequest


@dataclass(frozen=True, slots=True)
class StartProductOrder(Command):
    order_id: str


@dataclass(frozen=True, slots=True)
class CompleteOrderItem(Command):
    order_id: str
    item_id: str
    at: datetime | None = None  # when the service started (or changed, or ended); None: now


@dataclass(frozen=True, slots=True)
class FailOrderItem(Command):
    order_id: str
    item_id: str
    reason: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CancelProductOrder(Command):
    order_id: str
    reason: str = ""
    requested_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class ResolveCancellation(Command):
    """Fulfilment's answer to a cancellation it was assessing: undone (accepted) or too late."""

    order_id: str
    accepted: bool


@dataclass(frozen=True, slots=True)
class SuspendSubscription(Command):
    subscription_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ResumeSubscription(Command):
    subscription_id: str


@dataclass(frozen=True, slots=True)
class MigrateSubscriptionPrices(Command):
    """Move a subscription to its offering's prices valid at ``at`` (None: now), from ``at`` on."""

    subscription_id: str
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoadCatalog(Command):
    """A catalog file: what it defines is created when missing; with ``apply``, existing offerings
    also take its attributes, and a price that differs from the version in force gets a new version
    from now. All of it or nothing."""

    specifications: tuple[DefineSpecification, ...]
    offerings: tuple[DefineOffering, ...]
    apply: bool = False
