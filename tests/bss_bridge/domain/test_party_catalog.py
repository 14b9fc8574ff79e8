"""Customers, accounts, characteristics, versioned prices and bundles: the catalog's own rules."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bss_bridge.domain import events
from bss_bridge.domain.catalog import CharacteristicSpec, ValueFormat, ValueType
from bss_bridge.domain.errors import ConflictError, InvalidRequestError, InvalidTransitionError, NotFoundError
from bss_bridge.domain.offering import bundle_components
from bss_bridge.domain.party import (
    AccountState,
    AccountTerms,
    BillCycle,
    BillingAccount,
    ContactMedium,
    Customer,
    CustomerStatus,
    MediumType,
    TaxExemption,
)
from bss_bridge.domain.pricing import RecurringCharge
from bss_bridge.domain.window import Window

from ..builders import LAUNCH, T0, internet_spec, offering, standard_offerings

D = Decimal


def fields(exc: pytest.ExceptionInfo[InvalidRequestError]) -> list[str]:
    return [p.field for p in exc.value.problems]


def test_a_customer_moves_through_its_statuses_and_records_each_change() -> None:
    customer = Customer.create("c1", "  ACME  ", T0, (ContactMedium(MediumType.EMAIL, True, email="noc@acme.example"),))
    assert customer.name == "ACME" and customer.engaged_party.name == "ACME"
    customer.change_status(CustomerStatus.SUSPENDED, T0, "unpaid")
    customer.change_status(CustomerStatus.ACTIVE, T0)
    customer.change_status(CustomerStatus.CLOSED, T0, "left")
    with pytest.raises(InvalidTransitionError, match="from closed to active"):
        customer.change_status(CustomerStatus.ACTIVE, T0)
    assert [type(e).__name__ for e in customer.events] == ["CustomerCreated"] + ["CustomerStatusChanged"] * 3
    assert not customer.can_order


def test_contacts_are_checked_and_name_their_field() -> None:
    bad = (
        ContactMedium(MediumType.EMAIL, email="noc.acme.example"),
        ContactMedium(MediumType.PHONE, phone="+33 1 23 45 67 89"),
        ContactMedium(MediumType.POSTAL_ADDRESS, street1="1 rue", city=""),
        ContactMedium(MediumType.EMAIL, email="noc@acme.example\n"),  # a final line break: '$' in match() took it
        ContactMedium(MediumType.PHONE, phone="+33 1 23 45 67 89\n"),
    )
    with pytest.raises(InvalidRequestError) as exc:
        Customer.create("c1", "ACME", T0, bad)
    assert fields(exc) == [
        "contactMedium[0].characteristic.emailAddress",
        "contactMedium[2].characteristic.city",
        "contactMedium[2].characteristic.country",
        "contactMedium[3].characteristic.emailAddress",
        "contactMedium[4].characteristic.phoneNumber",
    ]
    with pytest.raises(InvalidRequestError, match="name: must not be empty"):
        Customer.create("c1", " ", T0)


def test_an_update_that_changes_nothing_records_nothing() -> None:
    customer = Customer.create("c1", "ACME", T0)
    customer.events.clear()
    customer.update(T0 + timedelta(days=1), name="ACME")
    assert customer.events == [] and customer.updated_at == T0
    customer.update(T0 + timedelta(days=1), name="ACME Corp")
    assert customer.events == [events.CustomerChanged("c1", ("name",))]


@pytest.mark.parametrize(
    ("value", "year", "month", "day"),
    [
        (15, 2026, 2, 15),
        ("last", 2026, 2, 28),
        ("last", 2028, 2, 29),
        ("LAST", 2026, 4, 30),
        (28, 2028, 2, 28),
        (31, 2026, 1, 31),
        (31, 2026, 2, 28),
        (31, 2026, 3, 31),
        (31, 2026, 4, 30),
        (30, 2028, 2, 29),
        ("29", 2026, 2, 28),
    ],
)
def test_the_bill_cycle_day_is_1_to_31_or_the_months_last(value: int | str, year: int, month: int, day: int) -> None:
    assert BillCycle.parse(value).day_in(year, month) == day


@pytest.mark.parametrize("value", [0, 32, -1, "first", "1.5"])
def test_other_bill_cycle_days_are_refused(value: int | str) -> None:
    with pytest.raises(InvalidRequestError, match="billCycleDay: must be 1-31 or 'last'"):
        BillCycle.parse(value)


def test_an_account_checks_its_terms_and_keeps_its_currency() -> None:
    customer = Customer.create("c1", "ACME", T0)
    with pytest.raises(InvalidRequestError, match="timeZone: 'Mars/Olympus'"):
        BillingAccount.open("a1", customer, "main", "EUR", AccountTerms(time_zone="Mars/Olympus"), T0)
    with pytest.raises(InvalidRequestError, match="taxRate"):
        BillingAccount.open("a1", customer, "main", "EUR", AccountTerms(tax_rate_pct=D(120)), T0)
    with pytest.raises(InvalidRequestError, match="currency"):
        BillingAccount.open("a1", customer, "main", "euro", AccountTerms(), T0)
    with pytest.raises(InvalidRequestError, match=r"creditLimit\.value"):
        BillingAccount.open("a1", customer, "main", "EUR", AccountTerms(credit_limit=D(-1)), T0)
    account = BillingAccount.open("a1", customer, "main", "EUR", AccountTerms(payment_terms_days=14), T0)
    account.update(T0, terms=account.with_terms(bill_cycle=BillCycle(None), payment_terms_days=30))
    assert account.events[-1] == events.BillingAccountChanged("a1", ("bill_cycle", "payment_terms_days"))
    account.change_state(AccountState.CLOSED, T0)
    with pytest.raises(InvalidTransitionError):
        account.change_state(AccountState.ACTIVE, T0)


def test_once_billed_an_accounts_bill_cycle_day_and_time_zone_are_fixed_and_a_refused_update_changes_nothing() -> None:
    customer = Customer.create("c1", "ACME", T0)
    account = BillingAccount.open("a1", customer, "main", "EUR", AccountTerms(time_zone="Europe/Paris"), T0)
    billed = date(2026, 4, 1)
    for change in (
        {"bill_cycle": BillCycle(15)},
        {"time_zone": "UTC"},
        {"bill_cycle": BillCycle(2), "time_zone": "UTC"},
    ):
        with pytest.raises(ConflictError, match=r"billed through 2026-04-01: its (bill cycle|time zone)"):
            account.update(T0, name="renamed", terms=account.with_terms(**change), billed_through=billed)
        assert (account.name, account.terms) == ("main", AccountTerms(time_zone="Europe/Paris"))
    account.update(T0, terms=account.with_terms(tax_rate_pct=D(10)), billed_through=billed)
    assert account.terms.tax_rate_pct == D(10)
    account.update(T0, terms=account.with_terms(bill_cycle=BillCycle(15)))  # never billed: it may move
    assert account.terms.bill_cycle == BillCycle(15)


def test_a_tax_exemption_applies_only_while_valid() -> None:
    customer = Customer.create("c1", "ACME", T0)
    exemption = TaxExemption("FR", Window(T0, T0 + timedelta(days=30)), "CERT-1")
    account = BillingAccount.open(
        "a1", customer, "main", "EUR", AccountTerms(tax_rate_pct=D(20), tax_exemption=exemption), T0
    )
    assert account.tax_rate_at(T0 - timedelta(seconds=1)) == D(20)
    assert account.tax_rate_at(T0) == D(0)
    assert account.tax_rate_at(T0 + timedelta(days=30)) == D(20)


def test_characteristic_values_are_typed_ranged_and_fixed_by_the_offering() -> None:
    spec = internet_spec()
    assert spec.values([("site", "customer1")], {"bandwidthMbps": 100}) == {"site": "customer1", "bandwidthMbps": 100}
    assert spec.values([("site", "x"), ("bandwidthMbps", D(1000))]) == {"site": "x", "bandwidthMbps": 1000}
    with pytest.raises(InvalidRequestError) as exc:
        spec.values(
            [("site", 7), ("colour", "red"), ("bandwidthMbps", 1000), ("note", "Bad!"), ("site", "x")],
            {"bandwidthMbps": 100},
        )
    assert fields(exc) == [
        "productCharacteristic[0].value",
        "productCharacteristic[1].name",
        "productCharacteristic[2].value",
        "productCharacteristic[3].value",
        "productCharacteristic[4].name",
    ]
    assert "fixes bandwidthMbps to 100" in str(exc.value)
    with pytest.raises(
        InvalidRequestError, match=r"productCharacteristic: site is required \(a site of the OSS's resource"
    ):
        spec.values([], {"bandwidthMbps": 100})


def test_ranges_defaults_and_service_names() -> None:
    speed = CharacteristicSpec(
        "speed", ValueType.INTEGER, minimum=D(10), maximum=D(1000), default=100, service_characteristic="bandwidthMbps"
    )
    assert speed.check(10) == 10 and speed.maps_to == "bandwidthMbps"
    for bad, message in (
        (9, "below the minimum 10"),
        (1001, "above the maximum 1000"),
        (True, "not of type integer"),
        (D("10.5"), "not of type integer"),
    ):
        with pytest.raises(InvalidRequestError, match=message):
            speed.check(bad)
    with pytest.raises(InvalidRequestError, match="valueTo"):
        CharacteristicSpec("x", ValueType.INTEGER, minimum=D(5), maximum=D(1))
    with pytest.raises(InvalidRequestError, match="device or site is a string"):
        CharacteristicSpec("x", ValueType.INTEGER, resource="device")  # type: ignore[arg-type]


def test_a_price_change_adds_a_version_and_closes_the_previous_at_its_start() -> None:
    offer = offering("bia", "business-internet", {"monthly": RecurringCharge(D("79.00"))})
    change = datetime(2026, 6, 1, tzinfo=UTC)
    v2 = offer.add_price("monthly", "EUR", RecurringCharge(D("89.00")), change)
    v1 = offer.price("bia.monthly.EUR.v1")
    assert v1 is not None and v1.valid_for == Window(LAUNCH, change)
    assert v2.id == "bia.monthly.EUR.v2" and v2.valid_for == Window(change)
    at = {
        t: [p.id for p in offer.prices_at(t, "EUR")]
        for t in (LAUNCH - timedelta(seconds=1), change - timedelta(seconds=1), change)
    }
    assert at == {LAUNCH - timedelta(seconds=1): [], change - timedelta(seconds=1): [v1.id], change: [v2.id]}
    assert offer.prices_at(change, "USD") == []
    with pytest.raises(ConflictError, match="must start after version 2"):
        offer.add_price("monthly", "EUR", RecurringCharge(D("69.00")), change)
    offer.add_price("monthly", "USD", RecurringCharge(D("99.00")), change - timedelta(days=30))
    assert [p.id for p in offer.prices_at(change, "USD")] == ["bia.monthly.USD.v1"]
    kinds = [type(e).__name__ for e in offer.events]
    assert kinds.count("OfferingPriceCreated") == 3 and kinds.count("OfferingPriceRetired") == 1


def test_sellable_means_the_flag_and_the_window() -> None:
    offer = offering("bia", "business-internet", {}, valid_for=Window(LAUNCH, LAUNCH + timedelta(days=365)))
    assert offer.unsellable_reason(T0) is None
    assert "not on" in (offer.unsellable_reason(LAUNCH - timedelta(seconds=1)) or "")
    assert "not on" in (offer.unsellable_reason(LAUNCH + timedelta(days=365)) or "")
    offer.update(T0, sellable=False)
    assert offer.unsellable_reason(T0) == "offering bia is not sellable"
    with pytest.raises(InvalidRequestError, match="cannot be changed"):
        offer.update(T0, specification_id="other")


def test_a_bundle_expands_into_its_offerings() -> None:
    catalog = standard_offerings()
    assert [o.id for o in bundle_components(catalog["connect-bundle"], catalog)] == ["bia-100", "interconnect"]
    assert bundle_components(catalog["bia-100"], catalog) == [catalog["bia-100"]]
    with pytest.raises(NotFoundError):
        bundle_components(catalog["connect-bundle"], {"bia-100": catalog["bia-100"]})
    with pytest.raises(InvalidRequestError, match="not both"):
        offering("x", "business-internet", {}, bundled=("bia-100",))
    with pytest.raises(InvalidRequestError, match="bundled twice"):
        offering("x", None, {}, bundled=("bia-100", "bia-100"))


def test_an_offering_carries_only_the_promotions_billing_can_apply() -> None:
    from bss_bridge.domain.pricing import DiscountKind, Promotion

    offer = offering("x", "business-internet", {"monthly": RecurringCharge(D(50))})
    offer.add_price("launch", "EUR", Promotion("launch", DiscountKind.FIXED, D(10), 2), LAUNCH)
    with pytest.raises(InvalidRequestError, match="already has a promotion in EUR: launch"):
        offer.add_price("summer", "EUR", Promotion("summer", DiscountKind.PERCENT, D(10), 2), LAUNCH)
    with pytest.raises(InvalidRequestError, match="fixed promotion applies to one recurring price"):
        offer.add_price("support", "EUR", RecurringCharge(D(5)), LAUNCH)
    bare = offering("y", "business-internet", {})
    with pytest.raises(InvalidRequestError, match="a fixed promotion needs exactly one recurring price in EUR"):
        bare.add_price("launch", "EUR", Promotion("launch", DiscountKind.FIXED, D(10), 2), LAUNCH)
    bundle = offering("b", None, {}, bundled=("x", "y"))
    with pytest.raises(InvalidRequestError, match="a bundle's promotion is a percentage"):
        bundle.add_price("loyalty", "EUR", Promotion("loyalty", DiscountKind.FIXED, D(10), 2), LAUNCH)
    bundle.add_price("loyalty", "EUR", Promotion("loyalty", DiscountKind.PERCENT, D(10), 2), LAUNCH)
    assert bundle.promotion_at(T0, "EUR") is not None


@pytest.mark.parametrize("value", ["bia-100\n", "", "-x", "a b", "x" * 65])
def test_an_identifier_of_the_catalog_is_refused_naming_its_field(value: str) -> None:
    from bss_bridge.domain.catalog import check_id

    with pytest.raises(InvalidRequestError, match=r"^offering\.id: "):
        check_id(value, "offering.id")
    assert check_id("bia-100", "offering.id") == "bia-100"


LAN = CharacteristicSpec("lan", ValueType.STRING, format=ValueFormat.IPV4_PREFIX)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10.1.2.3/24", "lan: 10.1.2.3/24 has host bits set: did you mean 10.1.2.0/24?"),
        ("0.0.0.0/0", "lan: 0.0.0.0/0: a customer LAN is a /8 to a /30, not a /0"),
        ("10.0.0.0/7", "lan: 10.0.0.0/7: a customer LAN is a /8 to a /30, not a /7"),
        ("10.1.2.0/31", "lan: 10.1.2.0/31: a customer LAN is a /8 to a /30, not a /31"),
        ("10.1.2.4/32", "lan: 10.1.2.4/32: a customer LAN is a /8 to a /30, not a /32"),
        ("10.1.2.0", "lan: '10.1.2.0': write the prefix as 10.1.2.0/32"),
        ("10.1.2.0/255.255.255.0", "lan: '10.1.2.0/255.255.255.0': write the prefix as 10.1.2.0/24"),
        ("127.0.0.0/8", "lan: 127.0.0.0/8 overlaps 127.0.0.0/8, loopback addresses, which are never a customer LAN"),
        ("224.0.0.0/8", "lan: 224.0.0.0/8 overlaps 224.0.0.0/4, multicast addresses, which are never a customer LAN"),
        ("10.1.2.0/24\n", "lan: '10.1.2.0/24\\n' is not an IPv4 prefix (like 192.0.2.0/24)"),
        ("2001:db8::/64", "lan: '2001:db8::/64' is not an IPv4 prefix (like 192.0.2.0/24)"),
        ("10.1.2.0/33", "lan: '10.1.2.0/33' is not an IPv4 prefix (like 192.0.2.0/24)"),
    ],
)
def test_an_ipv4_prefix_is_refused_as_the_oss_would_saying_why(value: str, message: str) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        LAN.check(value)
    assert [(p.field, p.message) for p in refused.value.problems] == [("value", message)]


@pytest.mark.parametrize("value", ["10.0.0.0/8", "10.1.2.0/24", "198.18.2.0/24", "203.0.113.4/30"])
def test_a_customer_lan_the_oss_takes_passes(value: str) -> None:
    assert LAN.check(value) == value


def test_only_a_string_has_a_format() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        CharacteristicSpec("lan", ValueType.INTEGER, format=ValueFormat.IPV4_PREFIX)
    assert fields(refused) == ["valueType"]


def test_only_another_regex_or_format_is_a_change_of_validation_a_specification_takes_in_place() -> None:
    old = CharacteristicSpec("lan", ValueType.STRING, required=False, regex=r"[0-9./]+", description="the LAN")
    stricter = CharacteristicSpec("lan", ValueType.STRING, required=False, format=ValueFormat.IPV4_PREFIX)
    assert old.validation_differs(stricter)
    assert not old.validation_differs(old)  # nothing changed
    assert not old.validation_differs(CharacteristicSpec("lan", ValueType.STRING, required=False, regex=r"[0-9./]+"))
    for other in (
        CharacteristicSpec("lan", ValueType.STRING, format=ValueFormat.IPV4_PREFIX),  # now required
        CharacteristicSpec("lan", ValueType.STRING, required=False, format=ValueFormat.IPV4_PREFIX, unit="x"),
        CharacteristicSpec("lan", ValueType.STRING, required=False, regex="x", service_characteristic="prefix"),
        CharacteristicSpec("lan2", ValueType.STRING, required=False, format=ValueFormat.IPV4_PREFIX),
    ):
        assert not old.validation_differs(other), other
    spec = internet_spec()
    spec.events.clear()
    note = spec.characteristic("note")
    assert note is not None
    revised = dataclasses.replace(note, regex=r"[a-z]+")
    before = spec.version
    spec.revalidate(LAUNCH, [revised])
    assert spec.characteristic("note") == revised and spec.version == str(int(before) + 1)
    assert spec.events == [events.ProductSpecificationChanged(spec.id, ("productSpecCharacteristic",))]
    with pytest.raises(InvalidRequestError, match="has no characteristic 'site' like it"):
        spec.revalidate(LAUNCH, [CharacteristicSpec("site", ValueType.INTEGER)])
