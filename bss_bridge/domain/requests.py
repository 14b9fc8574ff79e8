"""What an order request is, and what checking it produces: the items asked for, the catalog and
products it is checked against, the plan to place it and the questions left for the OSS."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime

from bss_bridge.domain.catalog import OfferingPrice, ProductSpecification, ResourceKind, Value
from bss_bridge.domain.offering import ProductOffering
from bss_bridge.domain.order import ItemAction
from bss_bridge.domain.quote import Quote
from bss_bridge.domain.subscription import Subscription


@dataclass(frozen=True, slots=True)
class ItemRequest:
    id: str
    action: str
    offering_id: str | None = None
    product_id: str | None = None
    characteristics: tuple[tuple[str, object], ...] = ()
    components: tuple[ItemRequest, ...] = ()
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class OrderRequest:
    customer_id: str
    billing_account_id: str
    items: tuple[ItemRequest, ...]
    external_id: str | None = None
    requested_start: datetime | None = None
    requested_completion: datetime | None = None
    description: str = ""
    priority: str = ""
    notes: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        """The request's content, hashed: an externalId sent again must come with the same one."""
        canonical = json.dumps(asdict(self), sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Catalog:
    """What the planner may look up: offerings and specifications by id, and the subscriptions
    the request's modify and delete items name (with the components of the bundles among them)."""

    offerings: Mapping[str, ProductOffering]
    specifications: Mapping[str, ProductSpecification]
    subscriptions: Mapping[str, Subscription] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResourceCheck:
    """A value that must exist in the OSS's resource inventory, and the request field it came from."""

    field: str
    kind: ResourceKind
    value: str


@dataclass(frozen=True, slots=True)
class PlannedItem:
    id: str
    action: ItemAction
    offering: ProductOffering | None
    specification_id: str | None
    values: dict[str, Value]
    prices: tuple[OfferingPrice, ...] = ()
    subscription_id: str | None = None
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class OrderPlan:
    items: tuple[PlannedItem, ...]
    checks: tuple[ResourceCheck, ...]
    quote: Quote
