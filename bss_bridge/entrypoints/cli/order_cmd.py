"""``oss-bss order`` and ``oss-bss product``: orders (TMF622) and subscriptions (TMF637).

``start``, ``complete`` and ``fail`` are fulfilment's moves, made by hand for a product no
network service realises (the bridge makes them once the OSS answers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from bss_bridge.bootstrap import Bss
from bss_bridge.config.yamlfile import read_yaml
from bss_bridge.domain import commands
from bss_bridge.domain.errors import InvalidRequestError, NotFoundError
from bss_bridge.domain.order import OrderState, ProductOrder
from bss_bridge.domain.requests import OrderRequest
from bss_bridge.domain.subscription import Subscription, SubscriptionStatus
from bss_bridge.entrypoints.cli.catalog_cmd import ITEMS, parse_item
from bss_bridge.entrypoints.cli.output import (
    FORMAT,
    STATE,
    Format,
    emit_json,
    exists,
    instant,
    local,
    one_of,
    opened,
    run,
    show_table,
    zones,
)
from bss_bridge.tmf.inputs import parse_model
from bss_bridge.tmf.inventory import STATUS, render_product
from bss_bridge.tmf.order_inputs import ProductOrderIn
from bss_bridge.tmf.ordering import order_quote, render_order

orders = typer.Typer(help="Product orders (TMF622).", no_args_is_help=True)
products = typer.Typer(help="Products: the subscriptions (TMF637).", no_args_is_help=True)
AT = typer.Option("--at", help="when it happened, with its offset (default now)")


def _print_order(order: ProductOrder, fmt: Format, base: str, new: bool | None = None) -> None:
    if fmt is Format.JSON:
        emit_json(render_order(base, order))
        return
    if new is False:
        STATE.out.print(f"externalId {order.external_id} already names this order: nothing new was made")
    quote = order_quote(order)
    STATE.out.print(
        f"order {order.id}: {order.state.value}, {len(order.items)} item(s);"
        f" one-time {quote.one_time} {order.currency}, monthly {quote.monthly} {order.currency}"
    )
    show_table(
        "items",
        ["item", "action", "offering", "product", "state", "error"],
        [[i.id, i.action.value, i.offering_id, i.subscription_id, i.state.value, i.error] for i in order.items],
    )


def _submit(request: OrderRequest, fmt: Format) -> None:
    with opened() as bss:
        order, new = run(bss, commands.SubmitProductOrder(request))
    _print_order(order, fmt, bss.settings.base_url, new)


@orders.command("add")
def add(
    items: Annotated[list[str], ITEMS],
    account: Annotated[str, typer.Option(help="the billing account (its customer orders)")],
    external_id: Annotated[str | None, typer.Option(help="the caller's id: the same again returns this order")] = None,
    fmt: Format = FORMAT,
) -> None:
    """Order new products (add items), e.g. ``bia-100:site=customer1``."""
    with opened() as bss, bss.uow() as uow:
        found = uow.accounts.get(account)
    if found is None:
        raise InvalidRequestError.one("--account", f"no billing account {account!r}")
    requests = tuple(parse_item(n, text) for n, text in enumerate(items))
    _submit(OrderRequest(found.customer_id, account, requests, external_id), fmt)


@orders.command("submit")
def submit(file: Path, fmt: Format = FORMAT) -> None:
    """Submit a TMF622 ProductOrder written as JSON or YAML."""
    try:
        data: Any = read_yaml(file).data  # JSON is YAML
    except yaml.YAMLError as exc:
        raise InvalidRequestError.one(str(file), str(exc)) from None
    _submit(parse_model(ProductOrderIn, data).command().request, fmt)


@orders.command("list")
def list_orders(
    state: Annotated[str | None, typer.Option(help="only orders in this state")] = None, fmt: Format = FORMAT
) -> None:
    """Product orders, newest last."""
    one_of(state, OrderState, "--state", "an order state")
    with opened() as bss, bss.uow() as uow:
        found, _ = uow.orders.list({"state": [state]} if state else None)
    if fmt is Format.JSON:
        emit_json([render_order(bss.settings.base_url, o) for o in found])
        return
    zone = zones(bss, [o.billing_account_id for o in found])
    show_table(
        "product orders",
        ["id", "external id", "customer", "state", "ordered", "items"],
        [
            [
                o.id,
                o.external_id,
                o.customer_id,
                o.state.value,
                local(o.order_date, zone.get(o.billing_account_id)),
                len(o.items),
            ]
            for o in found
        ],
    )


@orders.command("show")
def show(order_id: str, fmt: Format = FORMAT) -> None:
    """One order with its items and prices."""
    with opened() as bss, bss.uow() as uow:
        order = uow.orders.get(order_id)
    if order is None:
        raise NotFoundError("productOrder", order_id)
    _print_order(order, fmt, bss.settings.base_url)


def _move(command: commands.Command, fmt: Format) -> None:
    with opened() as bss:
        order = run(bss, command)
    _print_order(order, fmt, bss.settings.base_url)


@orders.command("start")
def start(order_id: str, fmt: Format = FORMAT) -> None:
    """Fulfilment starts: the order is in progress, its new products pending activation."""
    _move(commands.StartProductOrder(order_id), fmt)


@orders.command("complete")
def complete(order_id: str, item: str, at: Annotated[str | None, AT] = None, fmt: Format = FORMAT) -> None:
    """An item's service works (or changed, or ended) from --at: its product follows."""
    _move(commands.CompleteOrderItem(order_id, item, instant(at, "--at")), fmt)


@orders.command("fail")
def fail(order_id: str, item: str, reason: Annotated[str, typer.Option(help="why")], fmt: Format = FORMAT) -> None:
    """An item could not be fulfilled: nothing is charged for it."""
    _move(commands.FailOrderItem(order_id, item, reason), fmt)


@orders.command("cancel")
def cancel(order_id: str, reason: Annotated[str, typer.Option(help="why")] = "", fmt: Format = FORMAT) -> None:
    """Cancel an order (at once if not started; assessed if in progress)."""
    with opened() as bss:
        request = run(bss, commands.CancelProductOrder(order_id, reason))
        with bss.uow() as uow:
            order = uow.orders.get(order_id)
    assert order is not None
    if fmt is Format.TABLE:
        STATE.out.print(f"cancellation {request.id}: {request.state.value}")
    _print_order(order, fmt, bss.settings.base_url)


def _print_products(found: list[Subscription], fmt: Format, bss: Bss) -> None:
    if fmt is Format.JSON:
        emit_json([render_product(bss.settings.base_url, s) for s in found])
        return
    zone = zones(bss, [s.billing_account_id for s in found])
    show_table(
        "products",
        ["id", "offering", "customer", "status", "start", "end", "characteristics"],
        [
            [
                s.id,
                s.offering_id,
                s.customer_id,
                STATUS[s.status].strip(),
                local(s.start_date, zone.get(s.billing_account_id)),
                local(s.termination_date, zone.get(s.billing_account_id)),
                ", ".join(f"{k}={v}" for k, v in s.characteristics.items()),
            ]
            for s in found
        ],
    )


@products.command("list")
def list_products(
    customer: Annotated[str | None, typer.Option(help="only this customer's")] = None,
    status: Annotated[str | None, typer.Option(help="only in this status")] = None,
    fmt: Format = FORMAT,
) -> None:
    """Products (subscriptions) with their status and dates."""
    one_of(status, SubscriptionStatus, "--status", "a product status")
    filters = {k: [v] for k, v in (("customer_id", customer), ("status", status)) if v}
    with opened() as bss, bss.uow() as uow:
        if customer is not None:
            exists(uow.customers.get(customer), "--customer", "customer", customer)
        found, _ = uow.subscriptions.list(filters)
    _print_products(found, fmt, bss)


@products.command("show")
def show_product(product_id: str, fmt: Format = FORMAT) -> None:
    """One product with the price versions it is charged and its terms."""
    with opened() as bss, bss.uow() as uow:
        found = uow.subscriptions.get(product_id)
    if found is None:
        raise NotFoundError("product", product_id)
    if fmt is Format.JSON:
        emit_json(render_product(bss.settings.base_url, found))
        return
    _print_products([found], fmt, bss)
    tz = zones(bss, [found.billing_account_id]).get(found.billing_account_id)
    show_table(
        "terms",
        ["#", "offering", "from", "to", "reason", "prices"],
        [
            [n + 1, t.offering_id, local(t.start, tz), local(t.end, tz), t.reason, ", ".join(p.id for p in t.prices)]
            for n, t in enumerate(found.terms)
        ],
    )


def _product_move(command: commands.Command, fmt: Format) -> None:
    with opened() as bss:
        found = run(bss, command)
    _print_products([found], fmt, bss)


@products.command("suspend")
def suspend(product_id: str, fmt: Format = FORMAT) -> None:
    """Suspend a product."""
    _product_move(commands.SuspendSubscription(product_id), fmt)


@products.command("resume")
def resume(product_id: str, fmt: Format = FORMAT) -> None:
    """Resume a suspended product."""
    _product_move(commands.ResumeSubscription(product_id), fmt)


@products.command("migrate")
def migrate(product_id: str, at: Annotated[str | None, AT] = None, fmt: Format = FORMAT) -> None:
    """Move a product to its offering's prices in force at --at (a new term from then)."""
    _product_move(commands.MigrateSubscriptionPrices(product_id, instant(at, "--at")), fmt)
