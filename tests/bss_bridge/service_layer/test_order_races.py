"""Product orders under concurrent requests, on SQLite and PostgreSQL: each request in a thread,
session and transaction of its own, released together. Whatever the interleaving, the order and its
products end as one of the two requests taking effect after the other would leave them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.errors import BssDomainError
from bss_bridge.domain.order import ProductOrder
from bss_bridge.domain.requests import ItemRequest, OrderRequest

from ..billing_world import account, run, set_clock, subscribe, utc
from ..races import race


def order(bss: Bss, account_id: str, *items: ItemRequest, external_id: str | None = None) -> OrderRequest:
    with bss.uow() as uow:
        customer_id = uow.accounts.get(account_id).customer_id  # type: ignore[union-attr]
    return OrderRequest(customer_id, account_id, items, external_id=external_id)


def new_internet(item: str = "1") -> ItemRequest:
    return ItemRequest(item, "add", "bia-100", characteristics=(("site", "customer1"),))


def outcome(bss: Bss, order_id: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The order's state, its items' states and its products' statuses."""
    with bss.uow() as uow:
        placed = uow.orders.get(order_id)
        assert placed is not None
        subs = uow.subscriptions.get_many([i.subscription_id for i in placed.items if i.subscription_id])
        return (
            placed.state.value,
            tuple(i.state.value for i in placed.items),
            tuple(s.status.value for s in subs.values()),
        )


def refused(results: list[Any]) -> list[Any]:
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, BssDomainError)]
    assert not unexpected, unexpected
    return [r for r in results if isinstance(r, BaseException)]


def test_a_start_racing_a_cancellation_ends_as_one_after_the_other(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    set_clock(bss, utc(2026, 3, 1, 9))
    for _ in range(15):
        placed, _ = run(bss, commands.SubmitProductOrder(order(bss, acme, new_internet())))
        results = race(
            lambda placed=placed: run(bss, commands.StartProductOrder(placed.id)),
            lambda placed=placed: run(bss, commands.CancelProductOrder(placed.id, "changed my mind")),
        )
        assert len(refused(results)) <= 1
        assert outcome(bss, placed.id) in (
            ("assessingCancellation", ("inProgress",), ("pendingActive",)),  # started, then asked to cancel
            ("cancelled", ("cancelled",), ("cancelled",)),  # cancelled at once; the start refused
        )


def test_a_completion_racing_a_cancellation_ends_as_one_after_the_other(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    set_clock(bss, utc(2026, 3, 1, 9))
    for _ in range(15):
        placed, _ = run(bss, commands.SubmitProductOrder(order(bss, acme, new_internet())))
        run(bss, commands.StartProductOrder(placed.id))
        results = race(
            lambda placed=placed: run(bss, commands.CompleteOrderItem(placed.id, "1")),
            lambda placed=placed: run(bss, commands.CancelProductOrder(placed.id, "changed my mind")),
        )
        assert len(refused(results)) <= 1
        # either way the item finished: the cancellation is refused or assessed and then refused
        assert outcome(bss, placed.id) == ("completed", ("completed",), ("active",))


def test_the_same_order_submitted_many_times_at_once_is_placed_once(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    set_clock(bss, utc(2026, 3, 1, 9))
    for n in range(10):
        request = order(bss, acme, new_internet(), external_id=f"crm-{n}")
        results = race(*[lambda request=request: run(bss, commands.SubmitProductOrder(request))] * 4)
        assert not refused(results)
        assert [new for _, new in results].count(True) == 1 and len({o.id for o, _ in results}) == 1
    with bss.uow() as uow:
        placed, total = uow.orders.list({"billing_account_id": [acme]})
        assert total == 10 and {o.external_id for o in placed} == {f"crm-{n}" for n in range(10)}
        assert uow.subscriptions.list({"billing_account_id": [acme]})[1] == 10


def test_two_orders_changing_one_product_at_once_are_not_both_placed(any_bss: Bss) -> None:
    """A product is locked by the order that changes it: a second order is refused until the
    first ends (two at once each used to see it unlocked)."""
    bss = any_bss
    acme = account(bss)
    for n in range(10):
        product = subscribe(bss, acme, utc(2026, 3, 1 + n, 9))
        set_clock(bss, utc(2026, 3, 1 + n, 10))

        def modify(speed: str, product: str = product) -> ProductOrder:
            item = ItemRequest("1", "modify", "bia-100", product_id=product, characteristics=(("site", speed),))
            return run(bss, commands.SubmitProductOrder(order(bss, acme, item)))[0]  # type: ignore[no-any-return]

        def terminate(product: str = product) -> ProductOrder:
            item = ItemRequest("1", "delete", "bia-100", product_id=product)
            return run(bss, commands.SubmitProductOrder(order(bss, acme, item)))[0]  # type: ignore[no-any-return]

        results = race(lambda: modify("customer2"), terminate)
        assert len(refused(results)) == 1, results
        with bss.uow() as uow:
            sub = uow.subscriptions.get(product)
            placed = next(r for r in results if isinstance(r, ProductOrder))
            assert sub is not None and sub.locked_by == placed.id
        set_clock(bss, utc(2026, 3, 1 + n, 10) + timedelta(minutes=1))


def _two_upgrades(bss: Bss, suffix: str = "") -> tuple[str, str, dict[str, str]]:
    """Two accounts of one bia-100 each, both upgraded to bia-1000 by an order started on 2 January:
    the one "in time" completed (effective 3 January), the "raced" one's order left to complete;
    the clock at 1 February, 08:00. (in time, raced, each account's upgrade order)"""
    in_time, raced = account(bss, name=f"in time{suffix}"), account(bss, name=f"raced{suffix}")
    subs = {a: subscribe(bss, a, utc(2026, 1, 2, 10)) for a in (in_time, raced)}
    set_clock(bss, utc(2026, 1, 2, 20))
    faster = {}
    for a, sub in subs.items():
        item = ItemRequest("1", "modify", "bia-1000", product_id=sub, characteristics=(("site", "customer1"),))
        faster[a] = run(bss, commands.SubmitProductOrder(order(bss, a, item)))[0].id
        run(bss, commands.StartProductOrder(faster[a]))
    run(bss, commands.CompleteOrderItem(faster[in_time], "1", utc(2026, 1, 3, 9)))
    set_clock(bss, utc(2026, 2, 1, 8))
    return in_time, raced, faster


def test_a_speed_change_recorded_while_a_bill_run_reads_is_billed_by_the_next_run(any_bss: Bss) -> None:
    """billing_inputs: a change committed while a run reads is the next run's, never lost. An
    upgrade to bia-1000 effective 3 January is recorded at the very moment January's run bills
    the account; over that run and the next the account pays what one recorded in time pays."""
    bss = any_bss
    pairs = []
    for n in range(8):
        in_time, raced, faster = _two_upgrades(bss, f" {n}")
        results = race(
            lambda raced=raced: run(bss, bc.RunBilling(utc(2026, 2, 1, 8), (raced,))),
            lambda order_id=faster[raced]: run(bss, commands.CompleteOrderItem(order_id, "1", utc(2026, 1, 3, 9))),
        )
        assert not refused(results)
        run(bss, bc.RunBilling(utc(2026, 2, 1, 8), (in_time,)))
        pairs.append((in_time, raced))
    set_clock(bss, utc(2026, 3, 1, 8))
    run(bss, bc.RunBilling(utc(2026, 3, 1, 8)))
    with bss.uow() as uow:
        for in_time, raced in pairs:
            paid = {a: sum(b.totals.total for b in uow.invoices.of_account(a)) for a in (in_time, raced)}
            assert paid[raced] == paid[in_time]


def test_a_speed_change_committed_just_after_the_run_read_the_terms_is_billed_by_the_next_run(any_bss: Bss) -> None:
    """The same, the change committed at the worst moment: right after the run's statement that
    reads the terms (it used to read the revisions in the next statement, and saw the change's)."""
    bss = any_bss
    in_time, raced, faster = _two_upgrades(bss)
    armed = [True]

    def complete_now(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if armed[0] and "bss_subscription_terms" in statement:
            armed[0] = False
            done = race(lambda: run(bss, commands.CompleteOrderItem(faster[raced], "1", utc(2026, 1, 3, 9))))
            assert not refused(done)

    event.listen(bss.engine, "after_cursor_execute", complete_now)
    try:
        run(bss, bc.RunBilling(utc(2026, 2, 1, 8), (raced,)))
    finally:
        event.remove(bss.engine, "after_cursor_execute", complete_now)
    assert not armed[0]
    run(bss, bc.RunBilling(utc(2026, 2, 1, 8), (in_time,)))
    set_clock(bss, utc(2026, 3, 1, 8))
    run(bss, bc.RunBilling(utc(2026, 3, 1, 8)))
    with bss.uow() as uow:
        paid = {a: sum(b.totals.total for b in uow.invoices.of_account(a)) for a in (in_time, raced)}
    assert paid[raced] == paid[in_time]
