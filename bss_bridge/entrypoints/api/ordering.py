"""TMF622 product orders and their cancellation, TMF637 products, and the quote of a basket."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bss_bridge.domain import commands
from bss_bridge.domain.order import ProductOrder
from bss_bridge.entrypoints.api.filters import Filter, Filters
from bss_bridge.entrypoints.api.openapi import takes
from bss_bridge.entrypoints.api.tmf import (
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
ORDER_FILTERS = Filters(
    {
        "state": Filter(column="state"),
        "externalId": Filter(column="external_id"),
        "relatedParty.id": Filter(column="customer_id"),
        "billingAccount.id": Filter(column="billing_account_id"),
        "orderDate": Filter("date", "order_date"),
        "requestedStartDate": Filter("date", "requested_start"),
        "requestedCompletionDate": Filter("date", "requested_completion"),
        "completionDate": Filter("date", "completion_date"),
        "cancellationDate": Filter("date", "cancellation_date"),
    }
)
CANCEL_FILTERS = Filters(
    {
        "state": Filter(column="state"),
        "productOrder.id": Filter(column="order_id"),
        "requestedCancellationDate": Filter("date", "requested_date"),
        "effectiveCancellationDate": Filter("date", "effective_date"),
    }
)
PRODUCT_FILTERS = Filters(
    {
        "status": Filter(column="status"),
        "relatedParty.id": Filter(column="customer_id"),
        "billingAccount.id": Filter(column="billing_account_id"),
        "productOffering.id": Filter(column="offering_id"),
        "orderDate": Filter("date", "order_date"),
        "startDate": Filter("date", "start_date"),
        "terminationDate": Filter("date", "termination_date"),
    }
)


@orders.get("/productOrder", summary="List or find ProductOrder objects", openapi_extra=ORDER_FILTERS.openapi())
def list_orders(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, ORDER_FILTERS, lambda uow: uow.orders, each(render_order))


@orders.get("/productOrder/{order_id}", summary="Retrieve a ProductOrder by ID")
def get_order(request: Request, order_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(request, fields, order_id, "productOrder", lambda uow: uow.orders, each(render_order))


@orders.post(
    "/productOrder",
    status_code=201,
    summary="Create a ProductOrder (idempotent on externalId)",
    openapi_extra=takes(ProductOrderIn),
)
async def create_order(request: Request) -> TmfResponse:
    """201 with the new order; the same externalId with the same content again: 200 with the first."""
    order: ProductOrder
    order, new = await bss_of(request).handle((await body(request, ProductOrderIn)).command())
    return created(render_order(base_url(request), order), 201 if new else 200)


@orders.get(
    "/cancelProductOrder", summary="List or find CancelProductOrder objects", openapi_extra=CANCEL_FILTERS.openapi()
)
def list_cancellations(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, CANCEL_FILTERS, lambda uow: uow.cancellations, each(render_cancel))


@orders.get("/cancelProductOrder/{cancel_id}", summary="Retrieve a CancelProductOrder by ID")
def get_cancellation(request: Request, cancel_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(
        request, fields, cancel_id, "cancelProductOrder", lambda uow: uow.cancellations, each(render_cancel)
    )


@orders.post(
    "/cancelProductOrder", status_code=201, summary="Cancel a ProductOrder", openapi_extra=takes(CancelIn)
)
async def create_cancellation(request: Request) -> TmfResponse:
    cancellation = await bss_of(request).handle((await body(request, CancelIn)).command())
    return created(render_cancel(base_url(request), cancellation))


@products.get(
    "/product", summary="List or find Product objects (subscriptions)", openapi_extra=PRODUCT_FILTERS.openapi()
)
def list_products(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, PRODUCT_FILTERS, lambda uow: uow.subscriptions, each(render_product))


@products.get("/product/{product_id}", summary="Retrieve a Product by ID")
def get_product(request: Request, product_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(request, fields, product_id, "product", lambda uow: uow.subscriptions, each(render_product))


@products.patch(
    "/product/{product_id}",
    summary="Suspend or resume a Product (status suspended/active)",
    openapi_extra=takes(ProductPatch),
)
async def patch_product(request: Request, product_id: str) -> TmfResponse:
    patch = await body(request, ProductPatch)
    command: commands.Command = (
        commands.SuspendSubscription(product_id)
        if patch.status == "suspended"
        else commands.ResumeSubscription(product_id)
    )
    return one(render_product(base_url(request), await bss_of(request).handle(command)))


@quotes.post(
    "/quote",
    summary="Price a basket (the items of a product order) without ordering it",
    openapi_extra=takes(QuoteIn),
)
async def quote_basket(request: Request) -> TmfResponse:
    basket = await body(request, QuoteIn)
    bss = bss_of(request)
    account = basket.billing_account.id if basket.billing_account else None
    priced = quote(bss.uow(), basket.items(), bss.deps.clock(), account_id=account, currency=basket.currency)
    return one(render_quote(base_url(request), priced))
