"""Product offerings (TMF620): what is sold, when, at which (versioned) prices, and bundles.

Price selection by date: an order dated ``t`` takes, for each (name, currency) chain, the version
whose window contains ``t``. Adding a version from ``t`` closes the open version at ``t``; a version
may only start after the latest one started, so the windows of a chain always tile, and what an
order already took never changes.

A bundle is an offering made of other (non-bundle) offerings; ordering it orders each of them, and
its own prices (a promotion, say) apply on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from bss_bridge.domain import events
from bss_bridge.domain.catalog import OfferingPrice, PriceTerm, Value, check_id, price_id
from bss_bridge.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from bss_bridge.domain.money import check_currency
from bss_bridge.domain.party import check_name
from bss_bridge.domain.pricing import DiscountKind, Promotion, RecurringCharge, SlaTerms
from bss_bridge.domain.window import ALWAYS, Window


@dataclass(eq=False)
class ProductOffering:
    id: str
    name: str
    specification_id: str | None
    created_at: datetime
    updated_at: datetime
    description: str = ""
    sellable: bool = True
    valid_for: Window = ALWAYS
    lifecycle_status: str = "active"
    bundled: tuple[str, ...] = ()
    fixed: dict[str, Value] = field(default_factory=dict)
    sla: SlaTerms | None = None
    prices: list[OfferingPrice] = field(default_factory=list)
    events: list[events.Event] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls,
        offering_id: str,
        name: str,
        now: datetime,
        *,
        specification_id: str | None = None,
        bundled: tuple[str, ...] = (),
        **attributes: object,
    ) -> ProductOffering:
        check_id(offering_id)
        if (specification_id is None) == (not bundled):
            raise InvalidRequestError.one(
                "productSpecification", "an offering sells one specification, or bundles other offerings (not both)"
            )
        if len(set(bundled)) != len(bundled):
            raise InvalidRequestError.one("bundledProductOffering", "an offering is bundled twice")
        offering = cls(offering_id, check_name(name), specification_id, now, now, bundled=bundled, **attributes)  # type: ignore[arg-type]
        offering.events.append(events.ProductOfferingCreated(offering_id))
        return offering

    @property
    def is_bundle(self) -> bool:
        return bool(self.bundled)

    def update(self, now: datetime, **changes: object) -> None:
        """Change name, description, sellable, valid_for or lifecycle_status; the rest is fixed."""
        allowed = {"name", "description", "sellable", "valid_for", "lifecycle_status"}
        unknown = set(changes) - allowed
        if unknown:
            raise InvalidRequestError.one(sorted(unknown)[0], "cannot be changed on an offering")
        changed = [name for name, value in changes.items() if value is not None and value != getattr(self, name)]
        for name in changed:
            value = changes[name]
            setattr(self, name, check_name(str(value)) if name == "name" else value)
        if changed:
            self.updated_at = now
            self.events.append(events.ProductOfferingChanged(self.id, tuple(sorted(changed))))

    def unsellable_reason(self, moment: datetime) -> str | None:
        """Why the offering cannot be sold at ``moment``, or None when it can."""
        if not self.sellable:
            return f"offering {self.id} is not sellable"
        if not self.valid_for.contains(moment):
            return f"offering {self.id} is sold {self.valid_for.describe()}, not on {moment.isoformat()}"
        return None

    def add_price(self, name: str, currency: str, charge: PriceTerm, valid_from: datetime) -> OfferingPrice:
        """A new version of the (name, currency) price from ``valid_from`` on; the version open
        until then is closed there. Versions only ever start after the latest one did."""
        check_id(name, "name")
        check_currency(currency)
        self._check_promotions(name, currency, charge)
        chain = [p for p in self.prices if p.chain == (name, currency)]
        latest = max(chain, key=lambda p: p.version, default=None)
        start = Window(valid_from).start
        assert start is not None
        if latest is not None:
            assert latest.valid_for.start is not None
            if start <= latest.valid_for.start:
                raise ConflictError(
                    f"price {name} ({currency}) of {self.id}: a new version must start after version "
                    f"{latest.version} ({latest.valid_for.start.isoformat()}), not on {start.isoformat()}"
                )
            if latest.valid_for.end is None or latest.valid_for.end > start:
                closed = replace(latest, valid_for=Window(latest.valid_for.start, start))
                self.prices[self.prices.index(latest)] = closed
                self.events.append(events.OfferingPriceRetired(self.id, latest.id))
        version = 1 if latest is None else latest.version + 1
        price = OfferingPrice(
            price_id(self.id, name, currency, version), self.id, name, currency, version, Window(start), charge
        )
        self.prices.append(price)
        self.events.append(events.OfferingPriceCreated(self.id, price.id))
        return price

    def _check_promotions(self, name: str, currency: str, charge: PriceTerm) -> None:
        """What billing can apply: one promotion per currency, a percentage on a bundle (it is spread
        over the components' charges), a fixed amount only on an offering with one recurring price."""
        others = {p.name: p.charge for p in self.prices if p.currency == currency and p.name != name}
        promotions = {n: c for n, c in others.items() if isinstance(c, Promotion)}
        recurring = [n for n, c in others.items() if isinstance(c, RecurringCharge)]
        if isinstance(charge, Promotion):
            if promotions:
                raise InvalidRequestError.one(
                    "priceType", f"{self.id} already has a promotion in {currency}: {', '.join(promotions)}"
                )
            if self.is_bundle and charge.kind is not DiscountKind.PERCENT:
                raise InvalidRequestError.one(
                    "percentage", "a bundle's promotion is a percentage of its components' charges"
                )
            if charge.kind is DiscountKind.FIXED and len(recurring) != 1:
                raise InvalidRequestError.one(
                    "price", f"a fixed promotion needs exactly one recurring price in {currency}"
                )
        elif (
            isinstance(charge, RecurringCharge)
            and recurring
            and any(c.kind is DiscountKind.FIXED for c in promotions.values() if isinstance(c, Promotion))
        ):
            raise InvalidRequestError.one("priceType", f"{self.id}'s fixed promotion applies to one recurring price")

    def promotion_at(self, moment: datetime, currency: str) -> OfferingPrice | None:
        return next((p for p in self.prices_at(moment, currency) if p.price_type == "discount"), None)

    def prices_at(self, moment: datetime, currency: str) -> list[OfferingPrice]:
        """The versions valid at ``moment`` in ``currency``, one per price name, in name order."""
        valid = [p for p in self.prices if p.currency == currency and p.valid_for.contains(moment)]
        return sorted(valid, key=lambda p: p.name)

    def currencies(self) -> set[str]:
        return {p.currency for p in self.prices}

    def price(self, price_id_: str) -> OfferingPrice | None:
        return next((p for p in self.prices if p.id == price_id_), None)


def bundle_components(offering: ProductOffering, catalog: Mapping[str, ProductOffering]) -> list[ProductOffering]:
    """The offerings a bundle is made of, in its order (a plain offering is its own one component)."""
    if not offering.is_bundle:
        return [offering]
    components = []
    for component_id in offering.bundled:
        component = catalog.get(component_id)
        if component is None:
            raise NotFoundError("productOffering", component_id)
        if component.is_bundle:
            raise InvalidRequestError.one("bundledProductOffering", f"{component_id} is itself a bundle")
        components.append(component)
    return components
