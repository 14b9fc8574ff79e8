"""What fulfilling an order does to the subscriptions it names (pure; the service layer loads them).

These are the moves the bridge makes once the OSS answers (or an operator, for products no network
service realises): start the order, complete or fail an item at the moment the service did, cancel.
Each keeps the order and its subscriptions in step, bundle subscriptions following their components.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bss_bridge.domain.errors import InvalidTransitionError
from bss_bridge.domain.order import ItemAction, OrderItem, OrderState, ProductOrder
from bss_bridge.domain.subscription import Subscription, SubscriptionStatus, follow_components


def _subscription(item: OrderItem, subscriptions: Mapping[str, Subscription]) -> Subscription:
    assert item.subscription_id is not None
    return subscriptions[item.subscription_id]


def _follow_bundles(order: ProductOrder, subscriptions: Mapping[str, Subscription], now: datetime) -> None:
    for bundle_item in (i for i in order.items if order.children(i)):
        components = [_subscription(c, subscriptions) for c in order.children(bundle_item)]
        follow_components(_subscription(bundle_item, subscriptions), components, now)


def start(order: ProductOrder, subscriptions: Mapping[str, Subscription], now: datetime) -> None:
    """Fulfilment begins: new products are being provisioned, terminated ones are pending."""
    order.start(now)
    for item in order.items:
        subscription = _subscription(item, subscriptions)
        if item.action is ItemAction.ADD:
            subscription.provisioning(now)
        elif item.action is ItemAction.DELETE:
            subscription.request_termination(order.id, now)


def complete_item(order: ProductOrder, item_id: str, subscriptions: Mapping[str, Subscription], at: datetime) -> None:
    """The item's service works (or is gone) from ``at``: the subscription starts, changes terms or ends there."""
    if at < order.order_date:
        raise InvalidTransitionError(f"item {item_id} cannot complete at {at.isoformat()}, before its order date")
    item = order.complete_item(item_id, at)
    subscription = _subscription(item, subscriptions)
    if item.action is ItemAction.ADD:
        subscription.activate(at)
    elif item.action is ItemAction.MODIFY:
        assert item.offering_id is not None
        subscription.change_terms(
            at,
            offering_id=item.offering_id,
            characteristics=item.characteristics,
            prices=item.prices,
            reason="modify",
            order_id=order.id,
        )
        subscription.unlock(order.id)
    else:
        subscription.terminate(at, order.id)
    _follow_bundles(order, subscriptions, at)


def fail_item(
    order: ProductOrder, item_id: str, reason: str, subscriptions: Mapping[str, Subscription], at: datetime
) -> None:
    """The item could not be fulfilled: nothing is charged for it, the product stays as it was."""
    item = order.fail_item(item_id, reason, at)
    _undo(order, item, _subscription(item, subscriptions), at)
    _follow_bundles(order, subscriptions, at)


def _undo(order: ProductOrder, item: OrderItem, subscription: Subscription, now: datetime) -> None:
    if item.action is ItemAction.ADD:
        if subscription.status in (SubscriptionStatus.CREATED, SubscriptionStatus.PENDING_ACTIVE):
            subscription.abort(now)
    elif item.action is ItemAction.DELETE and subscription.status is SubscriptionStatus.PENDING_TERMINATE:
        subscription.keep(order.id, now)
    else:
        subscription.unlock(order.id)


def cancel(order: ProductOrder, reason: str, subscriptions: Mapping[str, Subscription], now: datetime) -> None:
    """Cancel the order (at once, or assess it when it is in progress; see ``ProductOrder``)."""
    order.request_cancellation(reason, now)
    if order.state is OrderState.CANCELLED:
        _release(order, subscriptions, now)


def accept_cancellation(order: ProductOrder, subscriptions: Mapping[str, Subscription], now: datetime) -> None:
    """Fulfilment undid what it had started: the order is cancelled and its products released."""
    order.accept_cancellation(now)
    _release(order, subscriptions, now)


def _release(order: ProductOrder, subscriptions: Mapping[str, Subscription], now: datetime) -> None:
    for item in order.items:
        subscription = _subscription(item, subscriptions)
        if item.action is ItemAction.ADD and subscription.status in (
            SubscriptionStatus.CREATED,
            SubscriptionStatus.PENDING_ACTIVE,
        ):
            subscription.cancel(now)
        elif item.action is not ItemAction.ADD:
            _undo(order, item, subscription, now)


def subscription_ids(order: ProductOrder) -> list[str]:
    return [i.subscription_id for i in order.items if i.subscription_id is not None]
