"""Order and subscription life: start, complete, fail, cancel; terms that tile; bundles that follow."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest

from bss_bridge.domain import fulfilment
from bss_bridge.domain.errors import InvalidRequestError, InvalidTransitionError
from bss_bridge.domain.order import ItemState, OrderState, ProductOrder
from bss_bridge.domain.ordering import place, plan_order
from bss_bridge.domain.pricing import RecurringCharge
from bss_bridge.domain.requests import ItemRequest
from bss_bridge.domain.subscription import SubscriptionStatus as S

from ..builders import T0, World, add, world

D = Decimal
H = timedelta(hours=1)


def submit(w: World, *items: ItemRequest, at: datetime = T0) -> ProductOrder:
    ids = (f"s{n}" for n in count(len(w.subscriptions) + 1))
    request = w.request(*items)
    order, subs = place(
        plan_order(request, w.customer, w.account, w.catalog, at),
        request,
        w.catalog,
        f"o{len(w.subscriptions)}",
        lambda: next(ids),
        at,
    )
    w.subscriptions.update({s.id: s for s in subs})
    return order


def test_an_add_item_activates_its_subscription_when_the_service_works() -> None:
    w = world()
    order = submit(w, add("1", "bia-100", site="customer1"))
    sub = w.subscriptions["s1"]
    assert (order.state, sub.status, sub.locked_by) == (OrderState.ACKNOWLEDGED, S.CREATED, order.id)
    fulfilment.start(order, w.subscriptions, T0 + H)
    assert (order.state, order.items[0].state, sub.status) == (
        OrderState.IN_PROGRESS,
        ItemState.IN_PROGRESS,
        S.PENDING_ACTIVE,
    )
    fulfilment.complete_item(order, "1", w.subscriptions, T0 + 2 * H)
    assert (order.state, order.completion_date, sub.status, sub.start_date) == (
        OrderState.COMPLETED,
        T0 + 2 * H,
        S.ACTIVE,
        T0 + 2 * H,
    )
    assert sub.terms[0].start == T0 + 2 * H and sub.locked_by is None
    assert [type(e).__name__ for e in order.events] == [
        "ProductOrderCreated",
        "ProductOrderStateChanged",
        "ProductOrderItemStateChanged",
        "ProductOrderItemStateChanged",
        "ProductOrderStateChanged",
    ]
    with pytest.raises(InvalidTransitionError, match=r"already completed|not in progress"):
        fulfilment.complete_item(order, "1", w.subscriptions, T0 + 3 * H)
    with pytest.raises(InvalidTransitionError, match="before its order date"):
        fulfilment.complete_item(submit(w, add("2", "bia-100", site="x")), "2", w.subscriptions, T0 - H)


def test_a_speed_change_closes_the_term_where_the_next_begins_and_keeps_the_promotion() -> None:
    w = world()
    first = submit(w, add("1", "bia-100", site="customer1"))
    fulfilment.start(first, w.subscriptions, T0)
    fulfilment.complete_item(first, "1", w.subscriptions, T0 + H)
    sub = w.subscriptions["s1"]
    w.offerings["bia-1000"].add_price("monthly", "EUR", RecurringCharge(D("199.00")), T0 + 24 * H)
    upgrade = submit(w, ItemRequest("u", "modify", "bia-1000", "s1"), at=T0 + 48 * H)
    assert sub.locked_by == upgrade.id
    fulfilment.start(upgrade, w.subscriptions, T0 + 49 * H)
    assert sub.status is S.ACTIVE  # a modify leaves it active while the network changes
    fulfilment.complete_item(upgrade, "u", w.subscriptions, T0 + 50 * H)
    assert [(t.offering_id, t.start, t.end, t.reason) for t in sub.terms] == [
        ("bia-100", T0 + H, T0 + 50 * H, "order"),
        ("bia-1000", T0 + 50 * H, None, "modify"),
    ]
    assert sub.characteristics["bandwidthMbps"] == 1000 and sub.offering_id == "bia-1000"
    assert sorted(p.id for p in sub.current.prices) == [
        "bia-100.launch.EUR.v1",
        "bia-1000.monthly.EUR.v2",
        "bia-1000.setup.EUR.v1",
    ]
    assert sub.term_at(T0 + 50 * H - timedelta(microseconds=1)) is sub.terms[0]
    assert sub.term_at(T0) is None and sub.locked_by is None


def test_a_change_at_the_instant_a_term_started_replaces_it() -> None:
    w = world()
    order = submit(w, add("1", "bia-100", site="c"))
    fulfilment.start(order, w.subscriptions, T0)
    fulfilment.complete_item(order, "1", w.subscriptions, T0)
    sub = w.subscriptions["s1"]
    sub.change_terms(
        T0, offering_id="bia-1000", characteristics={"site": "c", "bandwidthMbps": 1000}, prices=(), reason="modify"
    )
    assert [(t.offering_id, t.start, t.end) for t in sub.terms] == [("bia-1000", T0, None)]
    with pytest.raises(InvalidTransitionError, match="precedes its current terms"):
        sub.change_terms(T0 - H, offering_id="bia-100", characteristics={}, prices=(), reason="modify")


def test_a_termination_ends_the_last_term_and_a_failed_one_keeps_the_product() -> None:
    w = world()
    order = submit(w, add("1", "bia-100", site="c"))
    fulfilment.start(order, w.subscriptions, T0)
    fulfilment.complete_item(order, "1", w.subscriptions, T0)
    sub = w.subscriptions["s1"]
    sub.suspend(T0 + H)
    failing = submit(w, ItemRequest("d", "delete", None, "s1"), at=T0 + 2 * H)
    fulfilment.start(failing, w.subscriptions, T0 + 2 * H)
    assert sub.status is S.PENDING_TERMINATE
    fulfilment.fail_item(failing, "d", "the network refused", w.subscriptions, T0 + 3 * H)
    assert (failing.state, failing.items[0].error, sub.status, sub.locked_by) == (
        OrderState.FAILED,
        "the network refused",
        S.SUSPENDED,
        None,
    )
    ending = submit(w, ItemRequest("d", "delete", None, "s1"), at=T0 + 4 * H)
    fulfilment.start(ending, w.subscriptions, T0 + 4 * H)
    fulfilment.complete_item(ending, "d", w.subscriptions, T0 + 5 * H)
    assert (sub.status, sub.termination_date, sub.current.end) == (S.TERMINATED, T0 + 5 * H, T0 + 5 * H)
    with pytest.raises(InvalidTransitionError):
        sub.resume(T0 + 6 * H)


def test_an_order_ends_partial_when_some_items_fail_and_failed_adds_charge_nothing() -> None:
    w = world()
    order = submit(w, add("1", "bia-100", site="a"), add("2", "interconnect", siteA="a", siteB="b"))
    fulfilment.start(order, w.subscriptions, T0)
    fulfilment.complete_item(order, "1", w.subscriptions, T0 + H)
    fulfilment.fail_item(order, "2", "PE unreachable", w.subscriptions, T0 + H)
    assert order.state is OrderState.PARTIAL
    assert (w.subscriptions["s1"].status, w.subscriptions["s2"].status) == (S.ACTIVE, S.ABORTED)
    assert w.subscriptions["s2"].start_date is None and w.subscriptions["s2"].terms[0].start is None


def test_cancelling_before_start_is_immediate_and_in_progress_is_assessed() -> None:
    w = world()
    early = submit(w, add("1", "bia-100", site="a"))
    fulfilment.cancel(early, "changed my mind", w.subscriptions, T0)
    assert (early.state, early.items[0].state, w.subscriptions["s1"].status) == (
        OrderState.CANCELLED,
        ItemState.CANCELLED,
        S.CANCELLED,
    )
    late = submit(w, add("1", "bia-100", site="a"), add("2", "bia-100", site="b"))
    fulfilment.start(late, w.subscriptions, T0)
    fulfilment.cancel(late, "too slow", w.subscriptions, T0 + H)
    assert late.state is OrderState.ASSESSING_CANCELLATION
    fulfilment.accept_cancellation(late, w.subscriptions, T0 + 2 * H)
    assert late.state is OrderState.CANCELLED and late.cancellation_date == T0 + 2 * H
    assert {w.subscriptions[s].status for s in ("s2", "s3")} == {S.CANCELLED}
    third = submit(w, add("1", "bia-100", site="a"), add("2", "bia-100", site="b"))
    fulfilment.start(third, w.subscriptions, T0)
    fulfilment.complete_item(third, "1", w.subscriptions, T0 + H)
    with pytest.raises(InvalidTransitionError, match=r"item\(s\) 1 already finished"):
        fulfilment.cancel(third, "too late", w.subscriptions, T0 + H)
    fulfilment.complete_item(third, "2", w.subscriptions, T0 + H)
    with pytest.raises(InvalidTransitionError, match="can no longer be cancelled"):
        fulfilment.cancel(third, "too late", w.subscriptions, T0 + 2 * H)


def test_an_assessed_cancellation_that_loses_the_race_leaves_the_order_completed() -> None:
    w = world()
    order = submit(w, add("1", "bia-100", site="a"))
    fulfilment.start(order, w.subscriptions, T0)
    fulfilment.cancel(order, "stop", w.subscriptions, T0)
    fulfilment.complete_item(order, "1", w.subscriptions, T0 + H)
    assert order.state is OrderState.COMPLETED


def test_a_bundles_subscription_follows_its_components() -> None:
    w = world()
    order = submit(
        w, ItemRequest("b", "add", "connect-bundle", characteristics=(("site", "a"), ("siteA", "a"), ("siteB", "b")))
    )
    bundle, access, link = (w.subscriptions[s] for s in ("s1", "s2", "s3"))
    fulfilment.start(order, w.subscriptions, T0)
    assert {bundle.status, access.status, link.status} == {S.PENDING_ACTIVE}
    with pytest.raises(InvalidTransitionError, match="is a bundle"):
        fulfilment.complete_item(order, "b", w.subscriptions, T0)
    fulfilment.complete_item(order, "b.1", w.subscriptions, T0 + H)
    assert bundle.status is S.PENDING_ACTIVE
    fulfilment.complete_item(order, "b.2", w.subscriptions, T0 + 2 * H)
    assert (bundle.status, bundle.start_date, order.item("b").state, order.state) == (
        S.ACTIVE,
        T0 + 2 * H,
        ItemState.COMPLETED,
        OrderState.COMPLETED,
    )
    with pytest.raises(InvalidRequestError, match="part of bundle s1: delete the bundle"):
        submit(w, ItemRequest("d", "delete", None, access.id), at=T0 + 3 * H)
    with pytest.raises(InvalidRequestError, match="part of bundle s1: its offering stays"):
        submit(w, ItemRequest("u", "modify", "bia-1000", access.id), at=T0 + 3 * H)
    ending = submit(w, ItemRequest("d", "delete", None, bundle.id), at=T0 + 3 * H)
    assert [(i.id, i.subscription_id, i.parent_id) for i in ending.items] == [
        ("d", "s1", None),
        ("d.1", "s2", "d"),
        ("d.2", "s3", "d"),
    ]
    fulfilment.start(ending, w.subscriptions, T0 + 3 * H)
    assert {bundle.status, access.status, link.status} == {S.PENDING_TERMINATE}
    fulfilment.complete_item(ending, "d.1", w.subscriptions, T0 + 4 * H)
    fulfilment.complete_item(ending, "d.2", w.subscriptions, T0 + 5 * H)
    assert (bundle.status, bundle.termination_date, ending.state) == (S.TERMINATED, T0 + 5 * H, OrderState.COMPLETED)


def test_a_bundle_whose_component_failed_is_aborted() -> None:
    w = world()
    order = submit(
        w, ItemRequest("b", "add", "connect-bundle", characteristics=(("site", "a"), ("siteA", "a"), ("siteB", "b")))
    )
    fulfilment.start(order, w.subscriptions, T0)
    fulfilment.complete_item(order, "b.1", w.subscriptions, T0 + H)
    fulfilment.fail_item(order, "b.2", "no port", w.subscriptions, T0 + H)
    assert (w.subscriptions["s1"].status, order.item("b").state, order.state) == (
        S.ABORTED,
        ItemState.FAILED,
        OrderState.PARTIAL,
    )
