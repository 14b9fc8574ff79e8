"""Checking and pricing an order request: what is wrong with it (every problem, each naming its
field), or the plan to place it and the quote it is sold at.

The planner is pure: it is given the customer, the account, the catalog and the subscriptions the
request names. What only the OSS knows (does this site or device exist?) comes out as
``ResourceCheck``\\ s for the service layer to ask over TMF639, with the field each one is about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

from bss_bridge.domain.catalog import OfferingPrice, ProductSpecification, Value
from bss_bridge.domain.errors import InvalidRequestError, Problem, join_field
from bss_bridge.domain.offering import ProductOffering
from bss_bridge.domain.order import ItemAction, OrderItem, ProductOrder
from bss_bridge.domain.party import AccountState, BillingAccount, Customer
from bss_bridge.domain.quote import PricedItem, price_basket
from bss_bridge.domain.requests import Catalog, ItemRequest, OrderPlan, OrderRequest, PlannedItem, ResourceCheck
from bss_bridge.domain.subscription import Subscription, SubscriptionStatus


class _Planner:
    def __init__(self, catalog: Catalog, currency: str, now: datetime, customer_id: str | None, zone: str) -> None:
        self.catalog, self.currency, self.now, self.customer_id, self.zone = catalog, currency, now, customer_id, zone
        self.problems: list[Problem] = []
        self.items: list[PlannedItem] = []
        self.checks: list[ResourceCheck] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def offering(self, offering_id: str | None, where: str) -> ProductOffering | None:
        if not offering_id:
            self.problem(join_field(where, "productOffering.id"), "an add item names the offering it orders")
            return None
        offering = self.catalog.offerings.get(offering_id)
        if offering is None:
            self.problem(join_field(where, "productOffering.id"), f"no product offering {offering_id!r}")
            return None
        reason = offering.unsellable_reason(self.now)
        if reason is not None:
            self.problem(join_field(where, "productOffering.id"), reason)
            return None
        if offering.prices and self.currency not in offering.currencies():
            self.problem(
                join_field(where, "productOffering.id"), f"offering {offering.id} has no price in {self.currency}"
            )
            return None
        return offering

    def values(
        self,
        spec: ProductSpecification,
        offering: ProductOffering,
        given: tuple[tuple[str, object], ...],
        where: str,
        base: Mapping[str, Value] | None = None,
        fields: list[str] | None = None,
    ) -> dict[str, Value] | None:
        """Checked values; ``fields`` names each given pair (default: the item's own characteristics)."""
        fields = fields or [f"{where}.product.productCharacteristic[{n}]" for n in range(len(given))]
        try:
            values = spec.values(
                given, offering.fixed, base, fields, join_field(where, "product.productCharacteristic")
            )
        except InvalidRequestError as exc:
            self.problems += exc.problems
            return None
        index = {name: n for n, (name, _) in enumerate(given)}
        for name, kind, value in spec.resource_checks(values):
            if base is not None and base.get(name) == values[name]:
                continue  # unchanged by a modify: it was checked when ordered
            path = (
                f"{fields[index[name]]}.value" if name in index else join_field(where, "product.productCharacteristic")
            )
            self.checks.append(ResourceCheck(path, kind, value))
        return values

    def add(self, item: ItemRequest, where: str, parent: str | None = None) -> None:
        if item.product_id:
            self.problem(join_field(where, "product.id"), "an add item creates a product: it names none")
        offering = self.offering(item.offering_id, where)
        if offering is None:
            return
        if offering.is_bundle:
            self.bundle(item, offering, where)
            return
        assert offering.specification_id is not None
        spec = self.catalog.specifications.get(offering.specification_id)
        if spec is None:
            self.problem(join_field(where, "productOffering.id"), f"the specification of {offering.id} is missing")
            return
        values = self.values(spec, offering, item.characteristics, where)
        if values is not None:
            prices = tuple(offering.prices_at(self.now, self.currency))
            self.items.append(PlannedItem(item.id, ItemAction.ADD, offering, spec.id, values, prices, parent_id=parent))

    def bundle(self, item: ItemRequest, bundle: ProductOffering, where: str) -> None:
        nested = {c.offering_id: (n, c) for n, c in enumerate(item.components)}
        for offering_id, (n, _) in nested.items():
            if offering_id not in bundle.bundled:
                self.problem(
                    f"{where}.productOrderItem[{n}].productOffering.id",
                    f"{offering_id!r} is not part of bundle {bundle.id}",
                )
        self.items.append(
            PlannedItem(item.id, ItemAction.ADD, bundle, None, {}, ())  # its promotion goes to its components
        )
        specs = [
            self.catalog.specifications.get(self.catalog.offerings[o].specification_id or "")
            for o in bundle.bundled
            if o in self.catalog.offerings
        ]
        known = {c.name for s in specs if s is not None for c in s.characteristics}
        for k, (name, _) in enumerate(item.characteristics):
            if name not in known:
                self.problem(
                    f"{where}.product.productCharacteristic[{k}].name",
                    f"{name!r} is a characteristic of none of the bundle's offerings",
                )
        for n, component_id in enumerate(bundle.bundled):
            position, request = nested.get(component_id, (None, None))
            component = self.catalog.offerings.get(component_id)
            spec = self.catalog.specifications.get(component.specification_id or "") if component else None
            if component is None or spec is None:
                self.problem(
                    join_field(where, "productOffering.id"),
                    f"bundle {bundle.id} names a missing offering {component_id}",
                )
                continue
            own = request.characteristics if request is not None else ()
            own_names = {name for name, _ in own}
            child_where = f"{where}.productOrderItem[{position}]" if position is not None else where
            shared = [
                (k, (name, v))
                for k, (name, v) in enumerate(item.characteristics)
                if spec.characteristic(name) is not None and name not in own_names
            ]
            given = tuple(pair for _, pair in shared) + own
            fields = [f"{where}.product.productCharacteristic[{k}]" for k, _ in shared] + [
                f"{child_where}.product.productCharacteristic[{j}]" for j in range(len(own))
            ]
            child_id = request.id if request is not None else f"{item.id}.{n + 1}"
            values = self.values(spec, component, given, child_where, fields=fields)
            if values is not None:
                prices = self.component_prices(component, bundle)
                self.items.append(
                    PlannedItem(child_id, ItemAction.ADD, component, spec.id, values, prices, parent_id=item.id)
                )

    def component_prices(self, component: ProductOffering, bundle: ProductOffering) -> tuple[OfferingPrice, ...]:
        """A bundle component's prices: its own, its bundle's promotion in place of its own."""
        promotion = bundle.promotion_at(self.now, self.currency)
        own = component.prices_at(self.now, self.currency)
        if promotion is None:
            return tuple(own)
        return (*(p for p in own if p.price_type != "discount"), promotion)

    def existing(self, item: ItemRequest, where: str) -> Subscription | None:
        if not item.product_id:
            self.problem(
                join_field(where, "product.id"), f"a {item.action} item names the product (subscription) it changes"
            )
            return None
        subscription = self.catalog.subscriptions.get(item.product_id)
        if subscription is None or (self.customer_id is not None and subscription.customer_id != self.customer_id):
            self.problem(join_field(where, "product.id"), f"no product {item.product_id!r} of this customer")
            return None
        if subscription.bundle_id is not None and item.action == ItemAction.DELETE:
            self.problem(
                join_field(where, "product.id"),
                f"product {subscription.id} is part of bundle {subscription.bundle_id}: delete the bundle",
            )
            return None
        if not subscription.is_live:
            self.problem(join_field(where, "product.id"), f"product {subscription.id} is {subscription.status}")
            return None
        if subscription.locked_by is not None:
            self.problem(
                join_field(where, "product.id"),
                f"product {subscription.id} is being changed by order {subscription.locked_by}",
            )
            return None
        return subscription

    def modify(self, item: ItemRequest, where: str) -> None:
        subscription = self.existing(item, where)
        if subscription is None:
            return
        if subscription.status is not SubscriptionStatus.ACTIVE:
            self.problem(
                join_field(where, "product.id"),
                f"product {subscription.id} is {subscription.status}: only an active one is modified",
            )
            return
        offering_id = item.offering_id or subscription.offering_id
        if subscription.bundle_id is not None and offering_id != subscription.offering_id:
            self.problem(
                join_field(where, "productOffering.id"),
                f"product {subscription.id} is part of bundle {subscription.bundle_id}: its offering stays",
            )
            return
        offering = self.offering(offering_id, where)
        spec = self.catalog.specifications.get(subscription.specification_id or "")
        if offering is None or spec is None:
            return
        if offering.specification_id != spec.id:
            self.problem(
                join_field(where, "productOffering.id"),
                f"{offering.id} sells {offering.specification_id}, product {subscription.id} is a {spec.id}",
            )
            return
        values = self.values(spec, offering, item.characteristics, where, base=subscription.characteristics)
        if values is None:
            return
        if offering.id == subscription.offering_id and values == subscription.characteristics:
            self.problem(where, f"the modification changes nothing on product {subscription.id}")
            return
        prices = tuple(offering.prices_at(self.now, self.currency))
        self.items.append(PlannedItem(item.id, ItemAction.MODIFY, offering, spec.id, values, prices, subscription.id))

    def delete(self, item: ItemRequest, where: str) -> None:
        """Terminate a product; deleting a bundle terminates each of its live components."""
        subscription = self.existing(item, where)
        if subscription is None:
            return
        if item.offering_id and item.offering_id != subscription.offering_id:
            self.problem(
                join_field(where, "productOffering.id"), f"product {subscription.id} is a {subscription.offering_id}"
            )
            return
        self.items.append(
            PlannedItem(item.id, ItemAction.DELETE, None, subscription.specification_id, {}, (), subscription.id)
        )
        components = [s for s in self.catalog.subscriptions.values() if s.bundle_id == subscription.id and s.is_live]
        for n, component in enumerate(sorted(components, key=lambda s: s.order_item_id or s.id)):
            if component.locked_by is not None:
                self.problem(
                    join_field(where, "product.id"),
                    f"component {component.id} is being changed by order {component.locked_by}",
                )
            self.items.append(
                PlannedItem(
                    f"{item.id}.{n + 1}",
                    ItemAction.DELETE,
                    None,
                    component.specification_id,
                    {},
                    (),
                    component.id,
                    parent_id=item.id,
                )
            )

    def plan(self, requests: tuple[ItemRequest, ...], tax_rate_pct: Decimal) -> OrderPlan:
        if not requests:
            self.problem("productOrderItem", "an order has at least one item")
        ids = [r.id for r in requests] + [c.id for r in requests for c in r.components]
        for n, request in enumerate(requests):
            where = f"productOrderItem[{n}]"
            if not request.id.strip() or ids.count(request.id) > 1:
                self.problem(f"{where}.id", f"item ids are unique and not empty, got {request.id!r}")
            if request.quantity != 1:
                self.problem(f"{where}.quantity", f"one product per item: order {request.quantity} items instead")
            if request.components and request.action != ItemAction.ADD:
                self.problem(f"{where}.productOrderItem", "only an add item of a bundle has component items")
            try:
                action = ItemAction(request.action)
            except ValueError:
                self.problem(f"{where}.action", f"{request.action!r} is not one of add, modify, delete")
                continue
            {ItemAction.ADD: self.add, ItemAction.MODIFY: self.modify, ItemAction.DELETE: self.delete}[action](
                request, where
            )
        touched = [i.subscription_id for i in self.items if i.subscription_id]
        for twice in sorted({s for s in touched if touched.count(s) > 1}):
            self.problem("productOrderItem", f"product {twice} is changed by two items of the order")
        if self.problems:
            raise InvalidRequestError(self.problems)
        priced = [PricedItem(i.id, i.offering.id, i.prices) for i in self.items if i.offering is not None]
        quote = price_basket(priced, self.currency, tax_rate_pct, self.now, self.zone)
        return OrderPlan(tuple(self.items), tuple(self.checks), quote)


def plan_items(
    requests: tuple[ItemRequest, ...],
    catalog: Catalog,
    currency: str,
    tax_rate_pct: Decimal,
    now: datetime,
    customer_id: str | None = None,
    zone: str = "UTC",
) -> OrderPlan:
    """Check and price items (a quote needs no customer; an order does, see :func:`plan_order`);
    ``zone`` is the account's, whose local date the quoted month starts on."""
    return _Planner(catalog, currency, now, customer_id, zone).plan(requests, tax_rate_pct)


def plan_order(
    request: OrderRequest, customer: Customer | None, account: BillingAccount | None, catalog: Catalog, now: datetime
) -> OrderPlan:
    """Every rule an order must pass before anything is stored, except the OSS's inventory checks."""
    problems: list[Problem] = []
    if customer is None:
        problems.append(Problem("relatedParty", f"no customer {request.customer_id!r}"))
    elif not customer.can_order:
        problems.append(Problem("relatedParty", f"customer {customer.id} is {customer.status}"))
    if account is None:
        problems.append(Problem("billingAccount.id", f"no billing account {request.billing_account_id!r}"))
    elif account.customer_id != request.customer_id:
        problems.append(
            Problem("billingAccount.id", f"billing account {account.id} is not customer {request.customer_id}'s")
        )
    elif account.state is not AccountState.ACTIVE:
        problems.append(Problem("billingAccount.id", f"billing account {account.id} is {account.state}"))
    if problems or account is None:
        raise InvalidRequestError(problems)
    rate, zone = account.tax_rate_at(now), account.terms.time_zone
    return plan_items(request.items, catalog, account.currency, rate, now, request.customer_id, zone)


def place(
    plan: OrderPlan, request: OrderRequest, catalog: Catalog, order_id: str, new_id: Callable[[], str], now: datetime
) -> tuple[ProductOrder, list[Subscription]]:
    """The order and the subscriptions its add items create; the products its modify and delete
    items change are locked to it (one order at a time changes a product)."""
    created: dict[str, Subscription] = {}
    items: list[OrderItem] = []
    for planned in plan.items:
        subscription_id = planned.subscription_id
        if planned.action is ItemAction.ADD:
            assert planned.offering is not None
            subscription_id = new_id()
            created[planned.id] = Subscription.create(
                subscription_id,
                customer_id=request.customer_id,
                billing_account_id=request.billing_account_id,
                offering_id=planned.offering.id,
                specification_id=planned.specification_id,
                name=planned.offering.name,
                characteristics=planned.values,
                prices=planned.prices,
                order_id=order_id,
                order_item_id=planned.id,
                order_date=now,
                now=now,
                bundle_id=created[planned.parent_id].id if planned.parent_id else None,
            )
        else:
            assert subscription_id is not None
            catalog.subscriptions[subscription_id].lock(order_id)
        items.append(
            OrderItem(
                planned.id,
                planned.action,
                planned.offering.id if planned.offering else None,
                subscription_id,
                planned.values,
                planned.prices,
                planned.parent_id,
            )
        )
    order = ProductOrder(
        order_id,
        request.customer_id,
        request.billing_account_id,
        now,
        items,
        now,
        now,
        currency=plan.quote.currency,
        tax_rate_pct=plan.quote.tax_rate_pct,
        external_id=request.external_id,
        fingerprint=request.fingerprint(),
        requested_start=request.requested_start,
        requested_completion=request.requested_completion,
        description=request.description,
        priority=request.priority,
        notes=request.notes,
    )
    order.announce()
    return order, list(created.values())
