"""TMF620: product specifications, offerings and their (versioned) prices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from bss_bridge.domain.errors import NotFoundError
from bss_bridge.domain.offering import ProductOffering
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
    listed,
    one,
    retrieve,
)
from bss_bridge.tmf.catalog import render_offering, render_price, render_specification
from bss_bridge.tmf.catalog_inputs import (
    NewPriceVersionIn,
    ProductOfferingIn,
    ProductOfferingPatch,
    ProductSpecificationIn,
    ProductSpecificationPatch,
)
from bss_bridge.tmf.common import BASES

router = APIRouter(prefix=BASES["tmf620"], tags=["TMF620 product catalog"])
SPEC_FILTERS = Filters(
    {
        "lifecycleStatus": Filter(column="lifecycle_status"),
        "name": Filter(column="name"),
        "lastUpdate": Filter("date", "updated_at"),
    }
)
OFFERING_FILTERS = Filters(
    {
        "lifecycleStatus": Filter(column="lifecycle_status"),
        "isSellable": Filter("boolean", "sellable"),
        "productSpecification.id": Filter(column="specification_id"),
        "name": Filter(column="name"),
        "lastUpdate": Filter("date", "updated_at"),
        "validFor.startDateTime": Filter("date", "valid_from"),
        "validFor.endDateTime": Filter("date", "valid_to"),
    }
)
PRICE_FILTERS = Filters(  # prices are versions inside their offerings: compared on the rendered resources
    {
        "productOffering.id": Filter(),
        "priceType": Filter(),
        "name": Filter(),
        "lifecycleStatus": Filter(),
        "currency": Filter(),
        "version": Filter(),
        "price.value": Filter("number"),
        "validFor.startDateTime": Filter("date"),
        "validFor.endDateTime": Filter("date"),
    }
)


def _offerings(request: Request, found: list[ProductOffering]) -> list[dict[str, Any]]:
    now = bss_of(request).deps.clock()
    return [render_offering(base_url(request), o, now) for o in found]


@router.get(
    "/productSpecification",
    summary="List or find ProductSpecification objects",
    openapi_extra=SPEC_FILTERS.openapi(),
)
def list_specifications(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, SPEC_FILTERS, lambda uow: uow.specifications, each(render_specification))


@router.get("/productSpecification/{spec_id}", summary="Retrieve a ProductSpecification by ID")
def get_specification(request: Request, spec_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(
        request, fields, spec_id, "productSpecification", lambda uow: uow.specifications, each(render_specification)
    )


@router.post(
    "/productSpecification",
    status_code=201,
    summary="Create a ProductSpecification",
    openapi_extra=takes(ProductSpecificationIn),
)
async def create_specification(request: Request) -> TmfResponse:
    bss = bss_of(request)
    spec = await bss.handle((await body(request, ProductSpecificationIn)).command(bss.deps.new_id()))
    return created(render_specification(base_url(request), spec))


@router.patch(
    "/productSpecification/{spec_id}",
    summary="Update a ProductSpecification (name, description, lifecycle)",
    openapi_extra=takes(ProductSpecificationPatch),
)
async def patch_specification(request: Request, spec_id: str) -> TmfResponse:
    spec = await bss_of(request).handle((await body(request, ProductSpecificationPatch)).command(spec_id))
    return one(render_specification(base_url(request), spec))


@router.get(
    "/productOffering", summary="List or find ProductOffering objects", openapi_extra=OFFERING_FILTERS.openapi()
)
def list_offerings(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, OFFERING_FILTERS, lambda uow: uow.offerings, _offerings)


@router.get("/productOffering/{offering_id}", summary="Retrieve a ProductOffering by ID")
def get_offering(request: Request, offering_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(request, fields, offering_id, "productOffering", lambda uow: uow.offerings, _offerings)


@router.post(
    "/productOffering",
    status_code=201,
    summary="Create a ProductOffering with its prices",
    openapi_extra=takes(ProductOfferingIn),
)
async def create_offering(request: Request) -> TmfResponse:
    bss = bss_of(request)
    offering = await bss.handle((await body(request, ProductOfferingIn)).command(bss.deps.new_id()))
    return created(_offerings(request, [offering])[0])


@router.patch(
    "/productOffering/{offering_id}",
    summary="Update a ProductOffering (name, sellable, validFor...)",
    openapi_extra=takes(ProductOfferingPatch),
)
async def patch_offering(request: Request, offering_id: str) -> TmfResponse:
    offering = await bss_of(request).handle((await body(request, ProductOfferingPatch)).command(offering_id))
    return one(_offerings(request, [offering])[0])


def _prices(request: Request) -> list[dict[str, Any]]:
    now = bss_of(request).deps.clock()
    with bss_of(request).uow() as uow:
        offerings = uow.offerings.all()
    return [
        render_price(base_url(request), p, now, o.name)
        for o in offerings.values()
        for p in sorted(o.prices, key=lambda p: p.id)
    ]


@router.get(
    "/productOfferingPrice",
    summary="List or find ProductOfferingPrice objects (every version)",
    openapi_extra=PRICE_FILTERS.openapi(),
)
def list_prices(request: Request, fields: str | None = None) -> TmfResponse:
    items, total = PRICE_FILTERS.read(request.query_params.multi_items()).select(_prices(request))
    return listed(items, total, fields)


@router.get("/productOfferingPrice/{price_id}", summary="Retrieve a ProductOfferingPrice (one version) by ID")
def get_price(request: Request, price_id: str, fields: str | None = None) -> TmfResponse:
    found = next((p for p in _prices(request) if p["id"] == price_id), None)
    if found is None:
        raise NotFoundError("productOfferingPrice", price_id)
    return one(found, fields)


@router.post(
    "/productOfferingPrice",
    status_code=201,
    summary="A new version of one of an offering's prices",
    openapi_extra=takes(NewPriceVersionIn),
)
async def create_price(request: Request) -> TmfResponse:
    command = (await body(request, NewPriceVersionIn)).command()
    offering: ProductOffering = await bss_of(request).handle(command)
    latest = max(
        (p for p in offering.prices if p.chain == (command.price.name, command.price.currency)), key=lambda p: p.version
    )
    return created(render_price(base_url(request), latest, bss_of(request).deps.clock(), offering.name))
