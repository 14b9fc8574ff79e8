"""TMF622 product orders and their cancellation, TMF637 products, and the quote of a basket."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import commands
from bss_bridge.domain.errors import NotFoundError
from bss_bridge.domain.order import ProductOrder
from bss_bridge.entrypoints.api.tmf import Filter, TmfResponse, base_url, body, created, listed, one, paging
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


def _bss(request: Request) -> Bss:
    bss: Bss = request.app.state.bss
    return bss


@orders.get("/productOrder", summary="List or find ProductOrder objects")
def list_orders(request: Request, fields: str | None = None) -> TmfResponse:
    filters, offset, limit = paging(request, ORDER_FILTERS)
    with _bss(request).uow() as uow:
        found, total = uow.orders.list(filters, offset, limit)
    return listed([render_order(base_url(request), o) for o in found], total, fields)


@orders.get("/productOrder/{order_id}", summary="Retrieve a ProductOrder by ID")
def get_order(request: Request, order_id: str, fields: str | None = None) -> TmfResponse:
    with _bss(request).uow() as uow:
        order = uow.orders.get(order_id)
    if order is None:
        raise NotFoundError("productOrder", order_id)
    return one(render_order(base_url(request), order), fields)


@orders.post("/productOrder", status_code=201, summary="Create a ProductOrder (idempotent on externalId)")
async def create_order(request: Request) -> TmfResponse:
    """201 with the new order; the same externalId with the same content again: 200 with the first."""
    order: ProductOrder
    order, new = await _bss(request).handle((await body(request, ProductOrderIn)).command())
    return created(render_order(base_url(request), order), 201 if new else 200)


@orders.get("/cancelProductOrder", summary="List or find CancelProductOrder objects")
def list_cancellations(request: Request, fields: str | None = None) -> TmfResponse:
    filters, offset, limit = paging(request, CANCEL_FILTERS)
    with _bss(request).uow() as uow:
        found, total = uow.cancellations.list(filters, offset, limit)
    return listed([render_cancel(base_url(request), c) for c in found], total, fields)


@orders.get("/cancelProductOrder/{cancel_id}", summary="Retrieve a CancelProductOrder by ID")
def get_cancellation(request: Request, cancel_id: str, fields: str | None = None) -> TmfResponse:
    with _bss(request).uow() as uow:
        found = uow.cancellations.get(cancel_id)
    if found is None:
        raise NotFoundError("cancelProductOrder", cancel_id)
    return one(render_cancel(base_url(request), found), fields)


@orders.post("/cancelProductOrder", status_code=201, summary="Cancel a ProductOrder")
async def create_cancellation(request: Request) -> TmfResponse:
    cancellation = await _bss(request).handle((await body(request, CancelIn)).command())
    return created(render_cancel(base_url(request), cancellation))


@products.get("/product", summary="List or find Product objects (subscriptions)")
def list_products(request: Request, fields: str | None = None) -> TmfResponse:
    filters, offset, limit = paging(request, PRODUCT_FILTERS)
    with _bss(request).uow() as uow:
        found, total = uow.subscriptions.list(filters, offset, limit)
    return listed([render_product(base_url(request), s) for s in found], total, fields)


@products.get("/product/{product_id}", summary="Retrieve a Product by ID")
def get_product(request: Request, product_id: str, fields: str | None = None) -> TmfResponse:
    with _bss(request).uow() as uow:
        found = uow.subscriptions.get(product_id)
    if found is None:
        raise NotFoundError("product", product_id)
    return one(render_product(base_url(request), found), fields)


@products.patch("/product/{product_id}", summary="Suspend or resume a Product (status suspended/active)")
async def patch_product(request: Request, product_id: str) -> TmfResponse:
    patch = await body(request, ProductPatch)
    command: commands.Command = (
        commands.SuspendSubscription(product_id)
        if patch.status == "suspended"
        else commands.ResumeSubscription(product_id)
    )
    return one(render_product(base_url(request), await _bss(request).handle(command)))


@quotes.post("/quote", summary="Price a basket (the items of a product order) without ordering it")
async def quote_basket(request: Request) -> TmfResponse:
    basket = await body(request, QuoteIn)
    bss = _bss(request)
    account = basket.billing_account.id if basket.billing_account else None
    priced = quote(bss.uow(), basket.items(), bss.deps.clock(), account_id=account, currency=basket.currency)
    return one(render_quote(base_url(request), priced))
