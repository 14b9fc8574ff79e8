"""A small catalog, a customer and an account built from domain objects, for the BSS's pure tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from bss_bridge.domain.catalog import CharacteristicSpec, ProductSpecification, ResourceKind, ValueType
from bss_bridge.domain.offering import ProductOffering
from bss_bridge.domain.party import AccountTerms, BillCycle, BillingAccount, Customer
from bss_bridge.domain.pricing import DiscountKind, OneTimeCharge, PerUnitUsage, Promotion, RecurringCharge
from bss_bridge.domain.requests import Catalog, ItemRequest, OrderRequest
from bss_bridge.domain.subscription import Subscription

D = Decimal
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LAUNCH = datetime(2026, 1, 1, tzinfo=UTC)


def internet_spec() -> ProductSpecification:
    return ProductSpecification.create(
        "business-internet",
        "Business internet access",
        "internetAccess",
        (
            CharacteristicSpec("site", ValueType.STRING, resource=ResourceKind.SITE),
            CharacteristicSpec("bandwidthMbps", ValueType.INTEGER, allowed=(100, 1000), unit="Mbit/s"),
            CharacteristicSpec("note", ValueType.STRING, required=False, regex=r"[a-z ]+"),
        ),
        LAUNCH,
    )


def interconnect_spec() -> ProductSpecification:
    return ProductSpecification.create(
        "site-interconnect",
        "Site interconnect",
        "siteInterconnect",
        (
            CharacteristicSpec("siteA", ValueType.STRING, resource=ResourceKind.SITE, service_characteristic="siteA"),
            CharacteristicSpec("siteB", ValueType.STRING, resource=ResourceKind.SITE),
            CharacteristicSpec("bandwidthMbps", ValueType.INTEGER, minimum=D(10), maximum=D(1000), default=100),
        ),
        LAUNCH,
    )


def offering(offering_id: str, spec: str | None, prices: dict[str, object], **kwargs: object) -> ProductOffering:
    result = ProductOffering.create(offering_id, offering_id.upper(), LAUNCH, specification_id=spec, **kwargs)  # type: ignore[arg-type]
    for name, charge in prices.items():
        result.add_price(name, "EUR", charge, LAUNCH)  # type: ignore[arg-type]
    return result


def standard_offerings() -> dict[str, ProductOffering]:
    bia100 = offering(
        "bia-100",
        "business-internet",
        {
            "setup": OneTimeCharge(D("150.00")),
            "monthly": RecurringCharge(D("79.00")),
            "traffic": PerUnitUsage("GB", D("0.05"), D(1000)),
            "launch": Promotion("launch", DiscountKind.PERCENT, D(50), 3),
        },
        fixed={"bandwidthMbps": 100},
    )
    bia1000 = offering(
        "bia-1000",
        "business-internet",
        {"setup": OneTimeCharge(D("150.00")), "monthly": RecurringCharge(D("249.00"))},
        fixed={"bandwidthMbps": 1000},
    )
    interconnect = offering(
        "interconnect", "site-interconnect", {"setup": OneTimeCharge(D(500)), "monthly": RecurringCharge(D("300.00"))}
    )
    bundle = offering(
        "connect-bundle",
        None,
        {"loyalty": Promotion("loyalty", DiscountKind.PERCENT, D(10), 12)},
        bundled=("bia-100", "interconnect"),
    )
    return {o.id: o for o in (bia100, bia1000, interconnect, bundle)}


@dataclass
class World:
    customer: Customer
    account: BillingAccount
    offerings: dict[str, ProductOffering]
    specifications: dict[str, ProductSpecification]
    subscriptions: dict[str, Subscription] = field(default_factory=dict)

    @property
    def catalog(self) -> Catalog:
        return Catalog(self.offerings, self.specifications, self.subscriptions)

    def request(self, *items: ItemRequest, **kwargs: object) -> OrderRequest:
        return OrderRequest(self.customer.id, self.account.id, items, **kwargs)  # type: ignore[arg-type]


def world(tax_rate: Decimal = Decimal(20)) -> World:
    customer = Customer.create("c1", "ACME Ltd", LAUNCH)
    account = BillingAccount.open(
        "a1", customer, "ACME main", "EUR", AccountTerms(BillCycle(1), "Europe/Paris", tax_rate), LAUNCH
    )
    specs = {s.id: s for s in (internet_spec(), interconnect_spec())}
    return World(customer, account, standard_offerings(), specs)


def add(item_id: str, offering_id: str, **characteristics: object) -> ItemRequest:
    return ItemRequest(item_id, "add", offering_id, characteristics=tuple(characteristics.items()))
