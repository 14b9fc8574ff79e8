"""TMF629 customers and TMF666 billing accounts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from bss_bridge.domain.errors import NotFoundError
from bss_bridge.domain.party import BillingAccount, Customer
from bss_bridge.entrypoints.api.filters import Filter, Filters
from bss_bridge.entrypoints.api.openapi import takes
from bss_bridge.entrypoints.api.tmf import TmfResponse, base_url, body, bss_of, created, list_of, one, retrieve
from bss_bridge.tmf.common import BASES
from bss_bridge.tmf.party import render_account, render_customer
from bss_bridge.tmf.party_inputs import BillingAccountIn, BillingAccountPatch, CustomerIn, CustomerPatch

customers = APIRouter(prefix=BASES["tmf629"], tags=["TMF629 customers"])
accounts = APIRouter(prefix=BASES["tmf666"], tags=["TMF666 billing accounts"])
CUSTOMER_FILTERS = Filters(
    {
        "status": Filter(column="status"),
        "name": Filter(column="name"),
        "validFor.startDateTime": Filter("date", "created_at"),
    }
)
ACCOUNT_FILTERS = Filters(
    {
        "state": Filter(column="state"),
        "relatedParty.id": Filter(column="customer_id"),
        "currency": Filter(column="currency"),
        "lastModified": Filter("date", "updated_at"),
        "creditLimit.value": Filter("number"),
        "billStructure.cycleSpecification.billingDateShift": Filter("number"),
        "billStructure.cycleSpecification.paymentDueDateOffset": Filter("number", "payment_terms_days"),
    }
)


def _customers(request: Request, found: list[Customer]) -> list[dict[str, Any]]:
    """Customers with references to their accounts (read in one query for the page)."""
    with bss_of(request).uow() as uow:
        owned, _ = uow.accounts.list({"customer_id": [c.id for c in found]})
    return [render_customer(base_url(request), c, [a for a in owned if a.customer_id == c.id]) for c in found]


def _accounts(request: Request, found: list[BillingAccount]) -> list[dict[str, Any]]:
    """Accounts with their customer's name (TMF666's relatedParty requires it)."""
    with bss_of(request).uow() as uow:
        names = {c.id: c.name for c in uow.customers.get_many([a.customer_id for a in found]).values()}
    return [render_account(base_url(request), a, names.get(a.customer_id, a.customer_id)) for a in found]


@customers.get("/customer", summary="List or find Customer objects", openapi_extra=CUSTOMER_FILTERS.openapi())
def list_customers(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, CUSTOMER_FILTERS, lambda uow: uow.customers, _customers)


@customers.get("/customer/{customer_id}", summary="Retrieve a Customer by ID")
def get_customer(request: Request, customer_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(request, fields, customer_id, "customer", lambda uow: uow.customers, _customers)


@customers.post("/customer", status_code=201, summary="Create a Customer", openapi_extra=takes(CustomerIn))
async def create_customer(request: Request) -> TmfResponse:
    customer = await bss_of(request).handle((await body(request, CustomerIn)).command())
    return created(_customers(request, [customer])[0])


@customers.patch(
    "/customer/{customer_id}", summary="Update a Customer (merge patch)", openapi_extra=takes(CustomerPatch)
)
async def patch_customer(request: Request, customer_id: str) -> TmfResponse:
    customer = await bss_of(request).handle((await body(request, CustomerPatch)).command(customer_id))
    return one(_customers(request, [customer])[0])


@accounts.get(
    "/billingAccount", summary="List or find BillingAccount objects", openapi_extra=ACCOUNT_FILTERS.openapi()
)
def list_accounts(request: Request, fields: str | None = None) -> TmfResponse:
    return list_of(request, fields, ACCOUNT_FILTERS, lambda uow: uow.accounts, _accounts)


@accounts.get("/billingAccount/{account_id}", summary="Retrieve a BillingAccount by ID")
def get_account(request: Request, account_id: str, fields: str | None = None) -> TmfResponse:
    return retrieve(request, fields, account_id, "billingAccount", lambda uow: uow.accounts, _accounts)


@accounts.post(
    "/billingAccount", status_code=201, summary="Create a BillingAccount", openapi_extra=takes(BillingAccountIn)
)
async def create_account(request: Request) -> TmfResponse:
    account = await bss_of(request).handle((await body(request, BillingAccountIn)).command())
    return created(_accounts(request, [account])[0])


@accounts.patch(
    "/billingAccount/{account_id}",
    summary="Update a BillingAccount (merge patch)",
    openapi_extra=takes(BillingAccountPatch),
)
async def patch_account(request: Request, account_id: str) -> TmfResponse:
    patch = await body(request, BillingAccountPatch)
    with bss_of(request).uow() as uow:
        current = uow.accounts.get(account_id)
    if current is None:
        raise NotFoundError("billingAccount", account_id)
    account = await bss_of(request).handle(patch.command(account_id, current.currency))
    return one(_accounts(request, [account])[0])
