"""Order rules: what an order is checked for (each problem naming its field), bundles, and pricing at the order date."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest

from bss_bridge.domain.catalog import ResourceKind
from bss_bridge.domain.errors import InvalidRequestError
from bss_bridge.domain.fulfilment import complete_item, start
from bss_bridge.domain.order import ItemAction
from bss_bridge.domain.ordering import place, plan_order
from bss_bridge.domain.party import AccountState, CustomerStatus
from bss_bridge.domain.pricing import RecurringCharge
from bss_bridge.domain.requests import ItemRequest, ResourceCheck
from bss_bridge.domain.subscription import Subscription, SubscriptionStatus

from ..builders import T0, World, add, world

D = Decimal


def problems(w: World, *items: ItemRequest) -> list[str]:
    with pytest.raises(InvalidRequestError) as exc:
        plan_order(w.request(*items), w.customer, w.account, w.catalog, T0)
    return [str(p) for p in exc.value.problems]


def ordered(w: World, *items: ItemRequest) -> tuple[list[Subscription], str]:
    """Place, start and complete an order; its subscriptions join the world."""
    ids = (f"s{n}" for n in count(len(w.subscriptions) + 1))
    plan = plan_order(w.request(*items), w.customer, w.account, w.catalog, T0)
    order, subs = place(plan, w.request(*items), w.catalog, f"o{len(w.subscriptions)}", lambda: next(ids), T0)
    w.subscriptions.update({s.id: s for s in subs})
    start(order, w.subscriptions, T0)
    for item in order.leaves():
        complete_item(order, item.id, w.subscriptions, T0 + timedelta(hours=1))
    return subs, order.id


def test_an_add_item_is_checked_priced_and_asks_the_oss_about_its_site() -> None:
    w = world()
    plan = plan_order(w.request(add("1", "bia-100", site="customer1")), w.customer, w.account, w.catalog, T0)
    (item,) = plan.items
    assert (item.action, item.values) == (ItemAction.ADD, {"site": "customer1", "bandwidthMbps": 100})
    assert plan.checks == (
        ResourceCheck("productOrderItem[0].product.productCharacteristic[0].value", ResourceKind.SITE, "customer1"),
    )
    assert (plan.quote.one_time, plan.quote.monthly, plan.quote.monthly_discount) == (
        D("150.00"),
        D("79.00"),
        D("-39.50"),
    )
    assert [line.price.id for line in plan.quote.usage] == ["bia-100.traffic.EUR.v1"]
    monthly = plan.quote.item_lines("1")[0]
    assert (monthly.charged.tax, monthly.line.tax) == (D("15.80"), D("7.90"))  # type: ignore[union-attr]


def test_every_problem_of_an_order_is_reported_with_its_field() -> None:
    w = world()
    w.offerings["bia-1000"].update(T0, sellable=False)
    found = problems(
        w,
        add("1", "bia-100", site="customer1", bandwidthMbps=1000),
        add("1", "bia-1000", site="customer1"),
        add("3", "nope"),
        ItemRequest("4", "upgrade", "bia-100"),
        ItemRequest("5", "add", "bia-100", quantity=2, characteristics=(("site", "x"),)),
        ItemRequest("6", "modify", "bia-1000"),
    )
    assert found == [
        "productOrderItem[0].id: item ids are unique and not empty, got '1'",
        "productOrderItem[0].product.productCharacteristic[1].value: this offering fixes bandwidthMbps to 100",
        "productOrderItem[1].id: item ids are unique and not empty, got '1'",
        "productOrderItem[1].productOffering.id: offering bia-1000 is not sellable",
        "productOrderItem[2].productOffering.id: no product offering 'nope'",
        "productOrderItem[3].action: 'upgrade' is not one of add, modify, delete",
        "productOrderItem[4].quantity: one product per item: order 2 items instead",
        "productOrderItem[5].product.id: a modify item names the product (subscription) it changes",
    ]


def test_the_customer_and_account_must_exist_match_and_be_open() -> None:
    w = world()
    with pytest.raises(
        InvalidRequestError, match=r"relatedParty: no customer 'c1'.*billingAccount.id: no billing account"
    ):
        plan_order(w.request(add("1", "bia-100", site="x")), None, None, w.catalog, T0)
    w.account.customer_id = "someone-else"
    assert problems(w, add("1", "bia-100", site="x")) == ["billingAccount.id: billing account a1 is not customer c1's"]
    w.account.customer_id = w.customer.id
    w.account.change_state(AccountState.SUSPENDED, T0)
    w.customer.change_status(CustomerStatus.SUSPENDED, T0)
    assert problems(w, add("1", "bia-100", site="x")) == [
        "relatedParty: customer c1 is suspended",
        "billingAccount.id: billing account a1 is suspended",
    ]


def test_an_offering_without_a_price_in_the_accounts_currency_cannot_be_sold() -> None:
    w = world()
    w.account.currency = "USD"
    assert problems(w, add("1", "bia-100", site="x")) == [
        "productOrderItem[0].productOffering.id: offering bia-100 has no price in USD"
    ]


def test_an_order_takes_the_prices_valid_at_its_date() -> None:
    w = world()
    w.offerings["bia-100"].add_price("monthly", "EUR", RecurringCharge(D("89.00")), T0 + timedelta(days=1))
    before = plan_order(w.request(add("1", "bia-100", site="x")), w.customer, w.account, w.catalog, T0)
    after = plan_order(
        w.request(add("1", "bia-100", site="x")), w.customer, w.account, w.catalog, T0 + timedelta(days=1)
    )
    assert (before.quote.monthly, after.quote.monthly) == (D("79.00"), D("89.00"))


def test_a_bundle_expands_into_one_item_per_offering_with_shared_and_own_characteristics() -> None:
    w = world()
    bundle = ItemRequest(
        "b",
        "add",
        "connect-bundle",
        characteristics=(("siteA", "customer1"),),
        components=(
            ItemRequest("ic", "add", "interconnect", characteristics=(("siteB", "customer2"), ("bandwidthMbps", 50))),
        ),
    )
    found = problems(w, bundle)
    assert found == [
        "productOrderItem[0].product.productCharacteristic: site is required (a site of the OSS's resource inventory)"
    ]
    bundle = ItemRequest(
        "b",
        "add",
        "connect-bundle",
        characteristics=(("siteA", "customer1"), ("site", "customer1")),
        components=bundle.components,
    )
    plan = plan_order(w.request(bundle), w.customer, w.account, w.catalog, T0)
    assert [(i.id, i.offering.id if i.offering else None, i.parent_id, i.values) for i in plan.items] == [
        ("b", "connect-bundle", None, {}),
        ("b.1", "bia-100", "b", {"site": "customer1", "bandwidthMbps": 100}),
        ("ic", "interconnect", "b", {"siteA": "customer1", "siteB": "customer2", "bandwidthMbps": 50}),
    ]
    assert [c.value for c in plan.checks] == ["customer1", "customer1", "customer2"]
    assert plan.checks[2].field == "productOrderItem[0].productOrderItem[0].product.productCharacteristic[0].value"
    # the bundle's 10 % loyalty discount replaces bia-100's own launch promotion on both components
    assert (plan.quote.monthly, plan.quote.monthly_discount) == (D("379.00"), D("-37.90"))
    assert [p.name for i in plan.items[1:] for p in i.prices if p.price_type == "discount"] == ["loyalty", "loyalty"]
    order, subs = place(plan, w.request(bundle), w.catalog, "o1", iter(["s1", "s2", "s3"]).__next__, T0)
    assert [(s.id, s.offering_id, s.bundle_id) for s in subs] == [
        ("s1", "connect-bundle", None),
        ("s2", "bia-100", "s1"),
        ("s3", "interconnect", "s1"),
    ]
    assert [i.id for i in order.leaves()] == ["b.1", "ic"]
    with pytest.raises(
        InvalidRequestError,
        match=r"productOrderItem\[0\]\.productOrderItem\[0\]\.productOffering.id: 'bia-1000' is not part",
    ):
        plan_order(
            w.request(ItemRequest("b", "add", "connect-bundle", components=(ItemRequest("x", "add", "bia-1000"),))),
            w.customer,
            w.account,
            w.catalog,
            T0,
        )


def test_modify_changes_speed_within_the_specification_and_checks_only_what_changed() -> None:
    w = world()
    (sub,), _ = ordered(w, add("1", "bia-100", site="customer1"))
    plan = plan_order(w.request(ItemRequest("u", "modify", "bia-1000", sub.id)), w.customer, w.account, w.catalog, T0)
    assert plan.items[0].values == {"site": "customer1", "bandwidthMbps": 1000}
    assert plan.checks == ()
    assert plan.quote.monthly == D("249.00")
    assert problems(w, ItemRequest("u", "modify", "interconnect", sub.id)) == [
        "productOrderItem[0].productOffering.id: interconnect sells site-interconnect, "
        f"product {sub.id} is a business-internet"
    ]
    assert problems(w, ItemRequest("u", "modify", "bia-100", sub.id)) == [
        f"productOrderItem[0]: the modification changes nothing on product {sub.id}"
    ]
    moved = plan_order(
        w.request(ItemRequest("u", "modify", None, sub.id, (("site", "customer2"),))),
        w.customer,
        w.account,
        w.catalog,
        T0,
    )
    assert [c.value for c in moved.checks] == ["customer2"]


def test_a_product_is_changed_by_one_order_at_a_time_and_only_while_live() -> None:
    w = world()
    (sub,), _ = ordered(w, add("1", "bia-100", site="customer1"))
    assert problems(w, ItemRequest("a", "delete", None, sub.id), ItemRequest("b", "modify", "bia-1000", sub.id)) == [
        f"productOrderItem: product {sub.id} is changed by two items of the order"
    ]
    plan = plan_order(w.request(ItemRequest("d", "delete", None, sub.id)), w.customer, w.account, w.catalog, T0)
    place(plan, w.request(ItemRequest("d", "delete", None, sub.id)), w.catalog, "o9", lambda: "unused", T0)
    assert sub.locked_by == "o9"
    assert problems(w, ItemRequest("u", "modify", "bia-1000", sub.id)) == [
        f"productOrderItem[0].product.id: product {sub.id} is being changed by order o9"
    ]
    assert problems(w, ItemRequest("x", "delete", None, "s404")) == [
        "productOrderItem[0].product.id: no product 's404' of this customer"
    ]
    sub.locked_by = None
    sub.suspend(T0)
    assert problems(w, ItemRequest("u", "modify", "bia-1000", sub.id))[0].endswith(
        "is suspended: only an active one is modified"
    )


def test_the_fingerprint_is_the_content() -> None:
    w = world()
    a = w.request(add("1", "bia-100", site="x"), external_id="ext-1")
    assert a.fingerprint() == w.request(add("1", "bia-100", site="x"), external_id="ext-1").fingerprint()
    assert a.fingerprint() != w.request(add("1", "bia-100", site="y"), external_id="ext-1").fingerprint()


def test_prices_are_sold_by_the_line_the_quote_shows() -> None:
    w = world()
    (sub,), _ = ordered(w, add("1", "bia-100", site="customer1"))
    assert [p.id for p in sub.current.prices] == [
        "bia-100.launch.EUR.v1",
        "bia-100.monthly.EUR.v1",
        "bia-100.setup.EUR.v1",
        "bia-100.traffic.EUR.v1",
    ]
    assert sub.status is SubscriptionStatus.ACTIVE
    assert [p.name for p in sub.current.promotions()] == ["launch"]
