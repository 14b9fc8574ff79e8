"""TMF622 product orders and their cancellation, TMF637 products, and the quote of a basket."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bss_bridge.domain import commands
from bss_bridge.domain.order import ProductOrder
from bss_bridge.entrypoints.api.tmf import (
    Filter,
    TmfResponse,
    base_url,
    body,
    bss_of,
    created,
    each,
    list_of,
    one,
    retrieve,
)
from bss_bridge.service_layer.queries import quote
from bss_bridge.tmf.common import BASES
from bss_bridge.tmf.inventory import render_product
from bss_bridge.tmf.order_inputs import CancelIn, ProductOrderIn, ProductPatch, QuoteIn
from bss_bridge.tmf.ordering import render_cancel, render_order, render_quote

orders = APIRouter(prefix=BASES["tmf622"], tags=["TMF622 product ordering"])
products = APIRouter(prefix=BASES["tmf637"], tags=["TMF637 product inventory"])
quotes = APIRouter(prefix="/bss/v1", tags=["quote"])
ORDER_FILTERS = {
    "state": Filter("state"),
    "externalId": Filter("external_id"),
    "relatedParty.id": Filter("customer_id"),
    "billingAccount.id": Filter("billing_account_id"),
}
CANCEL_FILTERS = {"state": Filter("state"), "productOrder.id": Filter("order_id")}
PRODUCT_FILTERS = {
    "status": Filter("status", lambda s: s.strip()),
    "relatedParty.id": Filter("customer_id"),
    "billingAccount.id": Filter("billing_account_id"),
    "productOffering.id": Filter("offering_id"),
}


@orders.get("/productOrder", summary="List or find ProductOrder objects")
def list_orders(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, ORDER_FILTERS, lambda uow: uow.orders, each(render_order))


@orders.get("/productOrder/{order_id}", summary="Retrieve a ProductOrder by ID")
def get_order(request: Request, order_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(request, fields, order_id, "productOrder", lambda uow: uow.orders, each(render_order))


@orders.post("/productOrder", status_code=201, summary="Create a ProductOrder (idempotent on externalId)")
async def create_order(request: Request) -> TmfResponse:
    """201 with the new order; the same externalId with the same content again: 200 with the first."""
    order: ProductOrder
    order, new = await bss_of(request).handle((await body(request, ProductOrderIn)).command())
    return created(render_order(base_url(request), order), 201 if new else 200)


@orders.get("/cancelProductOrder", summary="List or find CancelProductOrder objects")
def list_cancellations(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, CANCEL_FILTERS, lambda uow: uow.cancellations, each(render_cancel))


@orders.get("/cancelProductOrder/{cancel_id}", summary="Retrieve a CancelProductOrder by ID")
def get_cancellation(request: Request, cancel_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(
        request, fields, cancel_id, "cancelProductOrder", lambda uow: uow.cancellations, each(render_cancel)
    )


@orders.post("/cancelProductOrder", status_code=201, summary="Cancel a ProductOrder")
async def create_cancellation(request: Request) -> TmfResponse:
    cancellation = await bss_of(request).handle((await body(request, CancelIn)).command())
    return created(render_cancel(base_url(request), cancellation))


@products.get("/product", summary="List or find Product objects (subscriptions)")
def list_products(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, PRODUCT_FILTERS, lambda uow: uow.subscriptions, each(render_product))


@products.get("/product/{product_id}", summary="Retrieve a Product by ID")
def get_product(request: Request, product_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(request, fields, product_id, "product", lambda uow: uow.subscriptions, each(render_product))


@products.patch("/product/{product_id}", summary="Suspend or resume a Product (status suspended/active)")
async def patch_product(request: Request, product_id: str) -> TmfResponse:
    patch = await body(request, ProductPatch)
    command: commands.Command = (
        commands.SuspendSubscription(product_id)
        if patch.status == "suspended"
        else commands.ResumeSubscription(product_id)
    )
    return one(render_product(base_url(request), await bss_of(request).handle(command)))


@quotes.post("/quote", summary="Price a basket (the items of a product order) without ordering it")
async def quote_basket(request: Request) -> TmfResponse:
    basket = await body(request, QuoteIn)
    bss = bss_of(request)
    account = basket.billing_account.id if basket.billing_account else None
    priced = quote(bss.uow(), basket.items(), bss.deps.clock(), account_id=account, currency=basket.currency)
    return one(render_quote(base_url(request), priced))
