"""TMF629 customers and TMF666 billing accounts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from bss_bridge.bootstrap import Bss
from bss_bridge.domain.errors import NotFoundError
from bss_bridge.domain.party import BillingAccount, Customer
from bss_bridge.entrypoints.api.tmf import Filter, TmfResponse, base_url, body, created, listed, one, paging
from bss_bridge.tmf.common import BASES
from bss_bridge.tmf.party import render_account, render_customer
from bss_bridge.tmf.party_inputs import BillingAccountIn, BillingAccountPatch, CustomerIn, CustomerPatch

customers = APIRouter(prefix=BASES["tmf629"], tags=["TMF629 customers"])
accounts = APIRouter(prefix=BASES["tmf666"], tags=["TMF666 billing accounts"])
CUSTOMER_FILTERS = {"status": Filter("status"), "name": Filter("name")}
ACCOUNT_FILTERS = {"state": Filter("state"), "relatedParty.id": Filter("customer_id"), "currency": Filter("currency")}


def _bss(request: Request) -> Bss:
    bss: Bss = request.app.state.bss
    return bss


def _customers(request: Request, found: list[Customer]) -> list[dict[str, Any]]:
    with _bss(request).uow() as uow:
        owned, _ = uow.accounts.list({"customer_id": [c.id for c in found]})
    return [render_customer(base_url(request), c, [a for a in owned if a.customer_id == c.id]) for c in found]


@customers.get("/customer", summary="List or find Customer objects")
def list_customers(request: Request, fields: str | None = None) -> TmfResponse:
    filters, offset, limit = paging(request, CUSTOMER_FILTERS)
    with _bss(request).uow() as uow:
        found, total = uow.customers.list(filters, offset, limit)
    return listed(_customers(request, found), total, fields)


@customers.get("/customer/{customer_id}", summary="Retrieve a Customer by ID")
def get_customer(request: Request, customer_id: str, fields: str | None = None) -> TmfResponse:
    with _bss(request).uow() as uow:
        customer = uow.customers.get(customer_id)
    if customer is None:
        raise NotFoundError("customer", customer_id)
    return one(_customers(request, [customer])[0], fields)


@customers.post("/customer", status_code=201, summary="Create a Customer")
async def create_customer(request: Request) -> TmfResponse:
    customer = await _bss(request).handle((await body(request, CustomerIn)).command())
    return created(_customers(request, [customer])[0])


@customers.patch("/customer/{customer_id}", summary="Update a Customer (merge patch)")
async def patch_customer(request: Request, customer_id: str) -> TmfResponse:
    customer = await _bss(request).handle((await body(request, CustomerPatch)).command(customer_id))
    return one(_customers(request, [customer])[0])


def _account(request: Request, account: BillingAccount) -> dict[str, Any]:
    with _bss(request).uow() as uow:
        customer = uow.customers.get(account.customer_id)
    return render_account(base_url(request), account, customer.name if customer else account.customer_id)


@accounts.get("/billingAccount", summary="List or find BillingAccount objects")
def list_accounts(request: Request, fields: str | None = None) -> TmfResponse:
    filters, offset, limit = paging(request, ACCOUNT_FILTERS)
    with _bss(request).uow() as uow:
        found, total = uow.accounts.list(filters, offset, limit)
        names = {c.id: c.name for c in uow.customers.get_many([a.customer_id for a in found]).values()}
    items = [render_account(base_url(request), a, names.get(a.customer_id, a.customer_id)) for a in found]
    return listed(items, total, fields)


@accounts.get("/billingAccount/{account_id}", summary="Retrieve a BillingAccount by ID")
def get_account(request: Request, account_id: str, fields: str | None = None) -> TmfResponse:
    with _bss(request).uow() as uow:
        account = uow.accounts.get(account_id)
    if account is None:
        raise NotFoundError("billingAccount", account_id)
    return one(_account(request, account), fields)


@accounts.post("/billingAccount", status_code=201, summary="Create a BillingAccount")
async def create_account(request: Request) -> TmfResponse:
    account = await _bss(request).handle((await body(request, BillingAccountIn)).command())
    return created(_account(request, account))


@accounts.patch("/billingAccount/{account_id}", summary="Update a BillingAccount (merge patch)")
async def patch_account(request: Request, account_id: str) -> TmfResponse:
    patch = await body(request, BillingAccountPatch)
    with _bss(request).uow() as uow:
        current = uow.accounts.get(account_id)
    if current is None:
        raise NotFoundError("billingAccount", account_id)
    account = await _bss(request).handle(patch.command(account_id, current.currency))
    return one(_account(request, account))
