"""Closing a customer or a billing account while an order is placed on it, on SQLite and PostgreSQL:
each request in a thread, session and transaction of its own, released together. Exactly one of
them wins: the close refused naming the order, or the order refused naming what was closed; never
an order (and its products, its bills) on a closed customer or account."""

from __future__ import annotations

from typing import Any

import pytest

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import commands
from bss_bridge.domain.errors import ConflictError, InvalidRequestError
from bss_bridge.domain.order import ProductOrder
from bss_bridge.domain.party import AccountTerms

from ..billing_world import account, run, set_clock, utc
from ..races import race, second_sent_after
from .test_order_races import new_internet, order, refused


def customer_of(bss: Bss, account_id: str) -> str:
    with bss.uow() as uow:
        return uow.accounts.get(account_id).customer_id  # type: ignore[union-attr]


def close_customer(bss: Bss, account_id: str) -> Any:
    return run(bss, commands.UpdateCustomer(customer_of(bss, account_id), status="closed"))


def close_account(bss: Bss, account_id: str) -> Any:
    return run(bss, commands.UpdateBillingAccount(account_id, state="closed"))


CLOSE = {"customer": close_customer, "account": close_account}


def assert_one_won(bss: Bss, account_id: str, closed: str, results: list[Any]) -> str:
    """Exactly one of (close, order) refused, for a reason that names the other; what is stored
    agrees. Which one won."""
    close_result, order_result = results
    assert len(refused(results)) == 1, results
    with bss.uow() as uow:
        orders, _ = uow.orders.list({"billing_account_id": [account_id]})
        customer = uow.customers.get(customer_of(bss, account_id))
        billing_account = uow.accounts.get(account_id)
    assert customer is not None and billing_account is not None
    status = customer.status.value if closed == "customer" else billing_account.state.value
    if isinstance(order_result, ProductOrder):
        assert isinstance(close_result, ConflictError) and order_result.id in str(close_result), close_result
        assert status == "active" and [o.id for o in orders] == [order_result.id]
        return "order"
    assert isinstance(order_result, InvalidRequestError), order_result
    name = customer.id if closed == "customer" else account_id
    assert f"{closed if closed == 'customer' else 'billing account'} {name} is closed" in str(order_result)
    assert status == "closed" and orders == []
    return "close"


def test_closing_a_customer_racing_an_order_on_its_account_lets_one_win(any_bss: Bss) -> None:
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    for n in range(15):
        acme = account(bss, name=f"ACME {n}")
        request = order(bss, acme, new_internet())
        results = race(
            lambda acme=acme: close_customer(bss, acme),
            lambda request=request: run(bss, commands.SubmitProductOrder(request))[0],
        )
        assert_one_won(bss, acme, "customer", results)


def test_closing_an_account_racing_an_order_on_it_lets_one_win(any_bss: Bss) -> None:
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    for n in range(15):
        acme = account(bss, name=f"ACME {n}")
        request = order(bss, acme, new_internet())
        results = race(
            lambda acme=acme: close_account(bss, acme),
            lambda request=request: run(bss, commands.SubmitProductOrder(request))[0],
        )
        assert_one_won(bss, acme, "account", results)


PRODUCTS = "SELECT bss_subscriptions."  # a close's read of the products (not its count before it)
CUSTOMER = "SELECT bss_customers."  # an order's read of its customer


@pytest.mark.parametrize("closed", ["customer", "account"])
def test_an_order_sent_just_after_the_close_read_the_products_is_refused(any_bss: Bss, closed: str) -> None:
    """The worst moment for the order: the close had found no products (a customer's close used to
    commit then, and so did the order)."""
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    acme = account(bss)
    request = order(bss, acme, new_internet())
    close = CLOSE[closed]
    results = second_sent_after(
        bss, lambda: close(bss, acme), lambda: run(bss, commands.SubmitProductOrder(request))[0], PRODUCTS, 1
    )
    assert assert_one_won(bss, acme, closed, results) == "close"


@pytest.mark.parametrize("closed", ["customer", "account"])
def test_a_close_sent_just_after_the_order_read_the_customer_is_refused(any_bss: Bss, closed: str) -> None:
    """The worst moment for the close: the order placing (its second transaction) had found the
    customer active (a customer's close used to find no products then, and both committed)."""
    bss = any_bss
    set_clock(bss, utc(2026, 3, 1, 9))
    acme = account(bss)
    request = order(bss, acme, new_internet())
    close = CLOSE[closed]
    results = second_sent_after(
        bss, lambda: run(bss, commands.SubmitProductOrder(request))[0], lambda: close(bss, acme), CUSTOMER, 2
    )
    assert assert_one_won(bss, acme, closed, results[::-1]) == "order"


def test_a_customer_and_an_account_created_many_times_at_once_with_one_id_exist_once(any_bss: Bss) -> None:
    """Each creation looks for the id, then inserts: the ones that lose the race are refused as the
    look would have refused them (it used to be a database error)."""
    bss = any_bss
    for n in range(10):
        results = race(*[lambda n=n: run(bss, commands.CreateCustomer("ACME", customer_id=f"c-{n}"))] * 4)
        assert not [r for r in results if isinstance(r, BaseException) and not isinstance(r, ConflictError)], results
        assert [isinstance(r, ConflictError) and f"customer c-{n} already exists" in str(r) for r in results].count(
            True
        ) == 3
        open_ = commands.OpenBillingAccount(f"c-{n}", "main", "EUR", AccountTerms(), account_id=f"a-{n}")
        results = race(*[lambda open_=open_: run(bss, open_)] * 4)
        assert [
            isinstance(r, ConflictError) and f"billing account a-{n} already exists" in str(r) for r in results
        ].count(True) == 3, results
