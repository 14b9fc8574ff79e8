"""Handlers for product orders (TMF622) and subscriptions (TMF637).

Submitting an order: the request is planned (every rule, every problem named) in one transaction,
the OSS is asked about each site and device it names outside any transaction, then the order is planned
again on fresh data and placed in a second transaction, so nothing is stored unless all of it is
right. The same ``externalId`` again returns the first order (with the same content) or is refused
(with other content); two concurrent first submissions are settled by the unique index.

Every handler that changes an order or a product holds its billing account first
(``hold_accounts``), as the ledger's do: each reads the order and products and writes them back
whole, so two at once on one account (a start and a cancellation, a completion and a
cancellation, two orders changing one product, dunning suspending it) queue, and the second reads
what the first wrote instead of writing back over it. Placing an order holds its customer first,
then its account: a close of either (``party_handlers``) holds the same row before it looks for
products, so an order is never placed on a customer or account closed meanwhile. It then holds the
specifications its values are checked by, shared (orders at once do not wait for each other), and
reads them: a catalog load tightening a rule holds them before it checks the values stored, so an
order is refused by the new rule, or stored first and named by the load (which keeps the old rule).
Last it holds the offerings it sells, shared, and reads them again: a price change holds its
offering before it takes its start (its request's instant, or later), so an order is placed first
and the new price starts after it, or sees the new version committed (and carries it if in force at
its instant); it used to read the old price while a change starting before its instant was not yet
committed, and carry it. A price migration, its account held, holds its offering the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bss_bridge.domain import commands, fulfilment
from bss_bridge.domain.errors import ConflictError, InvalidRequestError, Problem, found
from bss_bridge.domain.offering import ProductOffering
from bss_bridge.domain.order import CancelRequest, ProductOrder
from bss_bridge.domain.ordering import place, plan_order
from bss_bridge.domain.requests import Catalog, OrderPlan, OrderRequest
from bss_bridge.domain.subscription import Subscription
from bss_bridge.service_layer.deps import Deps
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage.billing_repository import hold_accounts
from bss_bridge.storage.holds import hold_customer, hold_offerings, hold_specifications
from bss_bridge.storage.tables import OrderRow, SubscriptionRow


def catalog_for(uow: UnitOfWork, product_ids: list[str], placing: OrderRequest | None = None) -> Catalog:
    """The catalog, and the subscriptions named (with the components of the bundles among them).
    With ``placing`` (an order being placed), the specifications its values are checked by are held
    (shared) before they are read, then the offerings it sells (shared), which are read again (the
    module docstring)."""
    named = uow.subscriptions.get_many(product_ids)
    bundles = [s.id for s in named.values() if s.specification_id is None]
    components = uow.subscriptions.components_of(bundles) if bundles else []
    subscriptions = {**named, **{c.id: c for c in components}}
    offerings = uow.offerings.all()
    if placing is not None:
        sold = _sold(placing, offerings)
        checked_by = [o.specification_id for o in sold] + [s.specification_id for s in subscriptions.values()]
        hold_specifications(uow.session, [i for i in checked_by if i is not None], shared=True)
        hold_offerings(uow.session, [o.id for o in sold], shared=True)
        offerings = {**offerings, **uow.offerings.read_again([o.id for o in sold])}  # a price change held first
    return Catalog(offerings, {s.id: s for s in uow.specifications.list()[0]}, subscriptions)


def _sold(request: OrderRequest, offerings: Mapping[str, ProductOffering]) -> list[ProductOffering]:
    """The offerings an order sells, a bundle's components included (which ones a bundle has, and
    which specification an offering or a product sells, never change)."""
    named = [offerings[i.offering_id] for i in request.items if i.offering_id and i.offering_id in offerings]
    return named + [offerings[c] for o in named for c in o.bundled if c in offerings]


def _plan(uow: UnitOfWork, request: OrderRequest, now: datetime, hold: bool = False) -> tuple[OrderPlan, Catalog]:
    product_ids = [i.product_id for i in request.items if i.product_id]
    catalog = catalog_for(uow, product_ids, request if hold else None)
    customer = uow.customers.get(request.customer_id)
    account = uow.accounts.get(request.billing_account_id)
    return plan_order(request, customer, account, catalog, now), catalog


def _replay(existing: ProductOrder, request: OrderRequest) -> ProductOrder:
    if existing.fingerprint != request.fingerprint():
        raise ConflictError(
            f"externalId {request.external_id!r} already names order {existing.id}, with other content: "
            "send a new externalId for a new order"
        )
    return existing


async def submit_order(cmd: commands.SubmitProductOrder, uow: UnitOfWork, deps: Deps) -> tuple[ProductOrder, bool]:
    """The order and whether it is new (False: the same externalId was submitted before)."""
    request, now = cmd.request, deps.clock()
    with uow:
        if request.external_id and (existing := uow.orders.by_external_id(request.external_id)):
            return _replay(existing, request), False
        plan, _ = _plan(uow, request, now)
    missing = await deps.inventory.missing(plan.checks)
    if missing:
        raise InvalidRequestError(
            Problem(c.field, f"no {c.kind} {c.value!r} in the OSS's resource inventory") for c in missing
        )
    try:
        with uow:
            hold_customer(uow.session, request.customer_id)  # a close of either at once waits, or is seen
            hold_accounts(uow.session, [request.billing_account_id])  # planned again on what is there now
            plan, catalog = _plan(uow, request, now, hold=True)  # a load's new rule at once waits, or is seen
            order, subscriptions = place(plan, request, catalog, deps.new_id(), deps.new_id, now)
            uow.orders.add(order)
            for subscription in subscriptions:
                uow.subscriptions.add(subscription)
            uow.commit()
    except IntegrityError:
        if not request.external_id:
            raise
        with uow:  # another submission with this externalId won the race
            existing = uow.orders.by_external_id(request.external_id)
            if existing is None:
                raise
            return _replay(existing, request), False
    return order, True


def _hold(uow: UnitOfWork, row: type[OrderRow | SubscriptionRow], key: str) -> None:
    """Hold the account of the order or product before reading it (the module docstring)."""
    account_id = uow.session.scalar(select(row.billing_account_id).where(row.id == key))
    hold_accounts(uow.session, [account_id] if account_id else [])


def _order(uow: UnitOfWork, order_id: str) -> tuple[ProductOrder, dict[str, Subscription]]:
    _hold(uow, OrderRow, order_id)
    order = found(uow.orders.get(order_id), "productOrder", order_id)
    ids = fulfilment.subscription_ids(order)
    return order, uow.subscriptions.get_many(ids)


async def start_order(cmd: commands.StartProductOrder, uow: UnitOfWork, deps: Deps) -> ProductOrder:
    with uow:
        order, subscriptions = _order(uow, cmd.order_id)
        fulfilment.start(order, subscriptions, deps.clock())
        uow.commit()
    return order


async def complete_item(cmd: commands.CompleteOrderItem, uow: UnitOfWork, deps: Deps) -> ProductOrder:
    with uow:
        order, subscriptions = _order(uow, cmd.order_id)
        fulfilment.complete_item(order, cmd.item_id, subscriptions, cmd.at or deps.clock())
        uow.commit()
    return order


async def fail_item(cmd: commands.FailOrderItem, uow: UnitOfWork, deps: Deps) -> ProductOrder:
    with uow:
        order, subscriptions = _order(uow, cmd.order_id)
        fulfilment.fail_item(order, cmd.item_id, cmd.reason, subscriptions, cmd.at or deps.clock())
        uow.commit()
    return order


async def cancel_order(cmd: commands.CancelProductOrder, uow: UnitOfWork, deps: Deps) -> CancelRequest:
    now = deps.clock()
    with uow:
        order, subscriptions = _order(uow, cmd.order_id)
        fulfilment.cancel(order, cmd.reason, subscriptions, now)
        request = CancelRequest(deps.new_id(), order.id, cmd.reason, now, requested_date=cmd.requested_date)
        request.announce()
        request.follow(order, now)
        uow.cancellations.add(request)
        uow.commit()
    return request


async def resolve_cancellation(cmd: commands.ResolveCancellation, uow: UnitOfWork, deps: Deps) -> ProductOrder:
    now = deps.clock()
    with uow:
        order, subscriptions = _order(uow, cmd.order_id)
        if cmd.accepted:
            fulfilment.accept_cancellation(order, subscriptions, now)
        else:
            order.refuse_cancellation(now)
        requests, _ = uow.cancellations.list({"order_id": [order.id]})
        for request in requests:
            request.follow(order, now)
        uow.commit()
    return order


def _subscription(uow: UnitOfWork, subscription_id: str) -> Subscription:
    _hold(uow, SubscriptionRow, subscription_id)
    return found(uow.subscriptions.get(subscription_id), "product", subscription_id)


async def _move(
    uow: UnitOfWork, subscription_id: str, move: Callable[[Subscription, datetime], None], now: datetime
) -> Subscription:
    with uow:
        subscription = _subscription(uow, subscription_id)
        move(subscription, now)
        uow.commit()
    return subscription


async def suspend(cmd: commands.SuspendSubscription, uow: UnitOfWork, deps: Deps) -> Subscription:
    return await _move(uow, cmd.subscription_id, Subscription.suspend, deps.clock())


async def resume(cmd: commands.ResumeSubscription, uow: UnitOfWork, deps: Deps) -> Subscription:
    return await _move(uow, cmd.subscription_id, Subscription.resume, deps.clock())


async def migrate_prices(cmd: commands.MigrateSubscriptionPrices, uow: UnitOfWork, deps: Deps) -> Subscription:
    with uow:
        subscription = _subscription(uow, cmd.subscription_id)
        hold_offerings(uow.session, [subscription.offering_id], shared=True)  # a price change at once: seen
        at = cmd.at or deps.clock()  # once held, as an order's prices (the module docstring)
        offering = uow.offerings.get(subscription.offering_id)
        account = uow.accounts.get(subscription.billing_account_id)
        assert offering is not None and account is not None
        prices = tuple(offering.prices_at(at, account.currency))
        current = subscription.current
        charged = {p.id for p in prices if p.price_type != "discount"}
        if charged == {p.id for p in current.prices if p.price_type != "discount"}:
            raise ConflictError(f"product {subscription.id} is already on the prices valid at {at.isoformat()}")
        subscription.change_terms(
            at, offering_id=offering.id, characteristics=current.characteristics, prices=prices, reason="priceMigration"
        )
        uow.commit()
    return subscription


HANDLERS = {
    commands.SubmitProductOrder: submit_order,
    commands.StartProductOrder: start_order,
    commands.CompleteOrderItem: complete_item,
    commands.FailOrderItem: fail_item,
    commands.CancelProductOrder: cancel_order,
    commands.ResolveCancellation: resolve_cancellation,
    commands.SuspendSubscription: suspend,
    commands.ResumeSubscription: resume,
    commands.MigrateSubscriptionPrices: migrate_prices,
}
