"""Reconciliation, pure: the BSS's product inventory against the OSS's service inventory.

Each product that should have a service on the network (``active``: the service active;
``suspended``: inactive) is matched to a TMF638 service by the link the bridge keeps, or else by the
service's ``externalId`` (the OSS passes the ordering item's ``<order>:<item>`` through to the
service it made). What does not match is a divergence, each with the repair that mends it:

- ``unlinked``: the OSS has the product's service but the bridge lost the link: link it again;
- ``missing``: the product should have a service and the OSS has none: order it again;
- ``state``: the service's state is not the one the product asks for: order that state;
- ``orphan``: a live service no product wants (its product ended, or none ever made it): delete it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bss_bridge.domain.bridge import network_state

LIVE = frozenset({"active", "inactive"})  # TMF638 states of a service that exists on the network


@dataclass(frozen=True, slots=True)
class Product:
    """A BSS product as reconciliation sees it."""

    id: str
    status: str  # TMF637
    origin: str | None  # the externalId its service was ordered under (<order>:<item> of its add item)
    service_id: str | None  # the service the bridge linked it to, if any
    linked_state: str | None  # the network state the bridge believes (active, inactive, terminated)


@dataclass(frozen=True, slots=True)
class NetworkService:
    """A TMF638 service as reconciliation sees it."""

    id: str
    state: str
    external_id: str | None


@dataclass(frozen=True, slots=True)
class Divergence:
    kind: str  # unlinked, missing, state, orphan
    product: str | None
    service: str | None
    bss: str  # what the BSS says
    oss: str  # what the OSS says

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "product": self.product, "service": self.service, "bss": self.bss, "oss": self.oss}


IN_FLIGHT = frozenset({"created", "pendingActive", "pendingTerminate"})  # an order is on its way: not judged


def compare(products: Iterable[Product], services: Iterable[NetworkService]) -> list[Divergence]:
    """Every divergence between the two inventories, products first, in a stable order. A service
    no product of this BSS ever ordered (another client's) is not this BSS's to judge."""
    by_id: Mapping[str, NetworkService] = {s.id: s for s in services}
    by_origin = {s.external_id: s for s in by_id.values() if s.external_id and s.state in LIVE}
    ours: set[str] = set()  # the services products of this BSS ordered or were linked to
    wanted: set[str] = set()
    found: list[Divergence] = []
    for product in sorted(products, key=lambda p: p.id):
        linked = by_id.get(product.service_id) if product.service_id else None
        origin = by_origin.get(product.origin) if product.origin else None
        ours |= {s.id for s in (linked, origin) if s is not None}
        service = linked if linked is not None and linked.state in LIVE else origin
        want = network_state(product.status)
        if product.status in IN_FLIGHT or want is None:
            if product.status in IN_FLIGHT and service is not None:
                wanted.add(service.id)
            continue
        if service is None:
            found.append(Divergence("missing", product.id, product.service_id, product.status, "no live service"))
            continue
        wanted.add(service.id)
        if service.id != product.service_id or product.linked_state not in LIVE:
            found.append(Divergence("unlinked", product.id, service.id, product.status, service.state))
        elif service.state != want:
            found.append(Divergence("state", product.id, service.id, f"{product.status}: {want}", service.state))
    for service_id in sorted(ours - wanted):
        if by_id[service_id].state in LIVE:
            found.append(Divergence("orphan", None, service_id, "no product wants it", by_id[service_id].state))
    return found
