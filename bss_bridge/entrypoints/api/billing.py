"""TMF635 usage, TMF678 customer bills and their rates, TMF676 payments, and the BSS's own billing
routes (bulk usage import, bill runs and previews, invoice documents, credit notes, balance,
outages and maintenance windows)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, select

from bss_bridge.documents.invoice import invoice_csv, invoice_html, invoice_pdf
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.billing.bill import BillState, CustomerBill
from bss_bridge.domain.billing.metering import UsageKind, UsageStatus
from bss_bridge.domain.errors import NotFoundError
from bss_bridge.entrypoints.api.filters import Filter, Filters, ListQuery, one_of
from bss_bridge.entrypoints.api.openapi import takes
from bss_bridge.entrypoints.api.tmf import TmfResponse, base_url, body, bss_of, listed, one
from bss_bridge.service_layer.billing_queries import balance, parties
from bss_bridge.service_layer.kpi_queries import MAX_MONTHS, bss_kpis, kpis_json
from bss_bridge.storage.billing_tables import InvoiceRow, LedgerRow, UsageRow
from bss_bridge.storage.tables import SubscriptionRow
from bss_bridge.storage.usage_store import UsageStore, status_case, with_status
from bss_bridge.tmf.billing import BILLING_BASES, render_bill, render_payment, render_rate, render_usage
from bss_bridge.tmf.billing_inputs import (
    BillPatch,
    BillRunIn,
    CreditNoteIn,
    MaintenanceIn,
    OutageIn,
    PaymentIn,
    UsageImportIn,
    UsageIn,
)
from bss_bridge.tmf.common import instant, money
from webui import DOCUMENT_HEADERS

usage = APIRouter(prefix=BILLING_BASES["tmf635"], tags=["TMF635 usage"])
bills = APIRouter(prefix=BILLING_BASES["tmf678"], tags=["TMF678 customer bills"])
payments = APIRouter(prefix=BILLING_BASES["tmf676"], tags=["TMF676 payments"])
own = APIRouter(prefix="/bss/v1", tags=["billing"])
USAGE_FILTERS = Filters(
    {
        "usageType": Filter(column="kind", choices=tuple(UsageKind)),
        "productId": Filter(column="product_id"),
        "usageDate": Filter("date", "usage_date"),
    }
)
# A usage record's status is computed (its group, the rating mark), not a column: the route reads it
STATUSES = Filters({"status": Filter(choices=tuple(UsageStatus))})
USAGE_STATUS = {
    "name": "status",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "pattern": one_of(UsageStatus)},
    "description": "status equal to one of these comma-separated values (received, guided, rated, billed)",
}
BILL_FILTERS = Filters(
    {
        "state": Filter(column="state", choices=tuple(BillState)),
        "billingAccount.id": Filter(column="account_id"),
        "billNo": Filter(column="number"),
        "billDate": Filter("date", "bill_date"),
        "lastUpdate": Filter("date", "updated_at"),
        "paymentDueDate": Filter("date", local=True),
        "billingPeriod.startDateTime": Filter("date", "starts_at", local=True),
        "billingPeriod.endDateTime": Filter("date", "ends_at", local=True),
        "amountDue.value": Filter("number"),
        "remainingAmount.value": Filter("number"),
        "taxExcludedAmount.value": Filter("number"),
        "taxIncludedAmount.value": Filter("number"),
    }
)
RATE_FILTERS = Filters(
    {
        "bill.id": Filter(column="id"),
        "billingAccount.id": Filter(column="account_id"),
        "date": Filter("date", "bill_date"),
        "type": Filter(),
        "name": Filter(),
        "product.id": Filter(),
        "periodCoverage.startDateTime": Filter("date", local=True),
        "periodCoverage.endDateTime": Filter("date", local=True),
        "taxExcludedAmount.value": Filter("number"),
        "taxIncludedAmount.value": Filter("number"),
    }
)
PAYMENT_FILTERS = Filters(
    {
        "account.id": Filter(column="account_id"),
        "correlatorId": Filter(column="key"),
        "paymentDate": Filter("date", "at"),
        "totalAmount.value": Filter("number"),
    }
)


# A line's position as its rate id ends (render_rate): only as written there, so "-01" or "-²" is no alias
# of "-1"; nine digits are more lines than any bill has (and int() of thousands of digits is refused)
RATE_POSITION = r"[1-9][0-9]{0,8}"


def _usage_rows(request: Request, query: Any) -> list[dict[str, Any]]:
    base = base_url(request)
    with bss_of(request).uow() as uow:
        rows = list(uow.session.execute(query))
        subs = {r[0].subscription_id for r in rows if r[0].subscription_id}
        owners: dict[str, str] = {}
        if subs:
            found = select(SubscriptionRow.id, SubscriptionRow.customer_id).where(SubscriptionRow.id.in_(subs))
            owners = {key: customer for key, customer in uow.session.execute(found)}
        return [
            render_usage(base, row, status, invoice, rated, owners.get(row.subscription_id or ""))
            for row, status, invoice, rated in rows
        ]


def _report(report: Any) -> dict[str, Any]:
    return {
        "stored": len(report.stored),
        "duplicates": report.duplicates,
        "conflicts": report.conflicts,
        "received": [{"id": key, "reason": why} for key, why in report.unguided.items()],
    }


@usage.post("/usage", status_code=201, summary="Create a Usage (idempotent on its id)", openapi_extra=takes(UsageIn))
async def create_usage(request: Request) -> TmfResponse:
    """201 with the new record; the same id and content again: 200 with it; other content: 409."""
    submission = (await body(request, UsageIn)).submission()
    report = await bss_of(request).handle(bc.ImportUsage((submission,)))
    if report.conflicts:
        from bss_bridge.domain.errors import ConflictError

        raise ConflictError(f"usage {submission.id!r} was received before with other content (the first is kept)")
    status = 201 if report.stored else 200
    with bss_of(request).uow() as uow:
        mark = UsageStore(uow.session).mark()
    found = _usage_rows(request, with_status(mark).where(UsageRow.usage_id == submission.id))
    return TmfResponse(found[0], status, headers={"Location": found[0]["href"]})


@usage.get(
    "/usage",
    summary="List or find Usage objects (status: received, guided, rated, billed)",
    openapi_extra=USAGE_FILTERS.openapi(USAGE_STATUS),
)
def list_usage(request: Request, fields: str | None = None) -> TmfResponse:
    given = request.query_params.get("status")
    statuses = [] if given is None else list(STATUSES.condition("status", given).values)
    found = USAGE_FILTERS.read(request.query_params.multi_items(), own=("status",))
    with bss_of(request).uow() as uow:
        mark = UsageStore(uow.session).mark()
    query = with_status(mark).where(*found.where(UsageRow))
    if statuses:
        query = query.where(status_case(mark).in_(statuses))
    with bss_of(request).uow() as uow:
        total = uow.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = _usage_rows(request, query.order_by(UsageRow.id).offset(found.offset).limit(found.limit))
    return listed(rows, int(total), fields)


@usage.get("/usage/{usage_id}", summary="Retrieve a Usage by ID")
def get_usage(request: Request, usage_id: str, fields: str | None = None) -> TmfResponse:
    with bss_of(request).uow() as uow:
        mark = UsageStore(uow.session).mark()
    found = _usage_rows(request, with_status(mark).where(UsageRow.usage_id == usage_id))
    if not found:
        raise NotFoundError("usage", usage_id)
    return one(found[0], fields)


@own.post(
    "/usageImport",
    summary="Import up to usage_batch_max TMF635 usage records at once (idempotent)",
    openapi_extra=takes(UsageImportIn),
)
async def import_usage(request: Request) -> TmfResponse:
    batch = await body(request, UsageImportIn)
    bss = bss_of(request)
    return TmfResponse(_report(await bss.handle(batch.command(bss.settings.usage_batch_max))))


def _bill(request: Request, bill_id: str) -> CustomerBill:
    with bss_of(request).uow() as uow:
        found = uow.invoices.get(bill_id)
    if found is None:
        raise NotFoundError("customerBill", bill_id)
    return found


def _bills(request: Request, query: ListQuery) -> tuple[list[CustomerBill], int]:
    """The bills the query's database conditions select: this page, or every one when some
    condition is on the rendered bill."""
    with bss_of(request).uow() as uow:
        if query.rendered:
            return uow.invoices.list(query.where(InvoiceRow))
        return uow.invoices.list(query.where(InvoiceRow), query.offset, query.limit)


@bills.get("/customerBill", summary="List or find CustomerBill objects", openapi_extra=BILL_FILTERS.openapi())
def list_bills(request: Request, fields: str | None = None) -> TmfResponse:
    query = BILL_FILTERS.read(request.query_params.multi_items())
    found, total = _bills(request, query)
    rendered = [render_bill(base_url(request), b) for b in found]
    if query.rendered:
        rendered, total = query.select(rendered, [ZoneInfo(b.time_zone) for b in found])
    return listed(rendered, total, fields)


@bills.get("/customerBill/{bill_id}", summary="Retrieve a CustomerBill by ID")
def get_bill(request: Request, bill_id: str, fields: str | None = None) -> TmfResponse:
    return one(render_bill(base_url(request), _bill(request, bill_id)), fields)


@bills.patch(
    "/customerBill/{bill_id}",
    summary="Send, hold (dispute) or release a CustomerBill",
    openapi_extra=takes(BillPatch),
)
async def patch_bill(request: Request, bill_id: str) -> TmfResponse:
    patch = await body(request, BillPatch)
    bill = await bss_of(request).handle(bc.ChangeBillState(bill_id, patch.state))
    return one(render_bill(base_url(request), bill))


@bills.get(
    "/appliedCustomerBillingRate",
    summary="List the lines of bills (bill.id or billingAccount.id)",
    openapi_extra=RATE_FILTERS.openapi(),
)
def list_rates(request: Request, fields: str | None = None) -> TmfResponse:
    query = RATE_FILTERS.read(request.query_params.multi_items())
    with bss_of(request).uow() as uow:
        found, _ = uow.invoices.list(query.where(InvoiceRow))
    rates = [render_rate(base_url(request), b, n, line) for b in found for n, line in enumerate(b.lines)]
    page, total = query.select(rates, [ZoneInfo(b.time_zone) for b in found for _ in b.lines])
    return listed(page, total, fields)


@bills.get("/appliedCustomerBillingRate/{rate_id}", summary="Retrieve an AppliedCustomerBillingRate by ID")
def get_rate(request: Request, rate_id: str, fields: str | None = None) -> TmfResponse:
    bill_id, _, position = rate_id.rpartition("-")
    if not re.fullmatch(RATE_POSITION, position):
        raise NotFoundError("appliedCustomerBillingRate", rate_id)
    with bss_of(request).uow() as uow:
        bill = uow.invoices.get(bill_id)
    if bill is None or not 1 <= int(position) <= len(bill.lines):
        raise NotFoundError("appliedCustomerBillingRate", rate_id)
    return one(render_rate(base_url(request), bill, int(position) - 1, bill.lines[int(position) - 1]), fields)


def document_headers(bill: CustomerBill, kind: str) -> dict[str, str]:
    """A document's headers: the strict policy of :data:`webui.DOCUMENT_HEADERS` (a client opening the
    invoice's HTML with the token got a page holding the customer's data with no policy at all), and
    a file name from the bill's number: a PDF or HTML opens in the browser, a CSV is saved."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", bill.number) or "invoice"
    disposition = "attachment" if kind == "csv" else "inline"
    return {**DOCUMENT_HEADERS, "content-disposition": f'{disposition}; filename="{name}.{kind}"'}


@own.get("/invoice/{bill_id}/{kind}", summary="An invoice as a document: pdf, html or csv")
def invoice_document(request: Request, bill_id: str, kind: str) -> Response:
    bill = _bill(request, bill_id)
    if kind not in ("pdf", "html", "csv"):
        raise NotFoundError("document", kind)
    with bss_of(request).uow() as uow:
        who = parties(uow, bill.account_id)
    headers = document_headers(bill, kind)
    if kind == "pdf":
        return Response(invoice_pdf(bill, who), media_type="application/pdf", headers=headers)
    if kind == "html":
        return Response(invoice_html(bill, who), media_type="text/html; charset=utf-8", headers=headers)
    return Response(invoice_csv([bill]), media_type="text/csv; charset=utf-8", headers=headers)


@own.post(
    "/billRun",
    summary="Run billing (or preview it) for every account or the ones named",
    openapi_extra=takes(BillRunIn),
)
async def bill_run(request: Request) -> TmfResponse:
    report = await bss_of(request).handle((await body(request, BillRunIn)).command())
    base = base_url(request)
    return TmfResponse(
        {
            "id": report.run_id,
            "asOf": instant(report.as_of),
            "preview": report.preview,
            "ratedRecords": report.rated_records,
            "bills": [
                {
                    "billingAccount": {"id": b.account_id},
                    "billingPeriod": {"start": b.period.start.isoformat(), "end": b.period.end.isoformat()},
                    "billNo": b.number,
                    "error": b.error,
                    "taxIncludedAmount": None if b.draft is None else money(b.draft.totals.total, b.draft.currency),
                    "lines": None
                    if b.draft is None
                    else [
                        {
                            "description": line.description,
                            "amount": money(line.amount, line.currency),
                            "tax": money(line.tax, line.currency),
                        }
                        for line in b.draft.lines
                    ],
                    "href": None if b.bill_id is None else f"{base}{BILLING_BASES['tmf678']}/customerBill/{b.bill_id}",
                }
                for b in report.bills
            ],
            "unbilledUsage": [{"group": group, "reason": why} for group, why in report.unbilled_usage],
        }
    )


@payments.post(
    "/payment",
    status_code=201,
    summary="Record a Payment (idempotent on correlatorId)",
    openapi_extra=takes(PaymentIn),
)
async def create_payment(request: Request) -> TmfResponse:
    document = await bss_of(request).handle((await body(request, PaymentIn)).command())
    rendered = render_payment(base_url(request), document.row)
    return TmfResponse(rendered, 201 if document.new else 200, headers={"Location": rendered["href"]})


@payments.get("/payment", summary="List or find Payment objects", openapi_extra=PAYMENT_FILTERS.openapi())
def list_payments(request: Request, fields: str | None = None) -> TmfResponse:
    found = PAYMENT_FILTERS.read(request.query_params.multi_items())
    query = select(LedgerRow).where(LedgerRow.kind == "payment", *found.where(LedgerRow)).order_by(LedgerRow.id)
    with bss_of(request).uow() as uow:
        if found.rendered:
            rendered, total = found.select([render_payment(base_url(request), r) for r in uow.session.scalars(query)])
            return listed(rendered, total, fields)
        total = uow.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        rows = list(uow.session.scalars(query.offset(found.offset).limit(found.limit)))
        return listed([render_payment(base_url(request), r) for r in rows], int(total), fields)


@payments.get("/payment/{payment_id}", summary="Retrieve a Payment by ID")
def get_payment(request: Request, payment_id: str, fields: str | None = None) -> TmfResponse:
    with bss_of(request).uow() as uow:
        row = uow.session.scalars(
            select(LedgerRow).where(LedgerRow.kind == "payment", LedgerRow.key == payment_id)
        ).first()
        if row is None:
            raise NotFoundError("payment", payment_id)
        return one(render_payment(base_url(request), row), fields)


@own.post(
    "/creditNote",
    status_code=201,
    summary="Issue a credit note (idempotent on its id)",
    openapi_extra=takes(CreditNoteIn),
)
async def credit_note(request: Request) -> TmfResponse:
    document = await bss_of(request).handle((await body(request, CreditNoteIn)).command())
    row = document.row
    return TmfResponse(
        {
            "id": row.key,
            "number": row.number,
            "amount": money(row.amount, row.currency),
            "billingAccount": {"id": row.account_id},
        },
        201 if document.new else 200,
    )


@own.get("/balance/{account_id}", summary="An account's balance, open and overdue bills")
def account_balance(request: Request, account_id: str) -> TmfResponse:
    bss = bss_of(request)
    with bss.uow() as uow:
        return TmfResponse(balance(uow, account_id, bss.deps.clock(), bss.settings.dunning_grace_days))


@own.get("/kpis", summary="Churn, ARPU and billing accuracy per calendar month (UTC), the current month last")
def kpis(
    request: Request,
    months: Annotated[int, Query(ge=1, le=MAX_MONTHS)] = 3,
    until: Annotated[str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] = None,
) -> TmfResponse:
    """``months`` months ending with ``until`` (YYYY-MM, default: this month); definitions in docs/kpis.md."""
    bss = bss_of(request)
    with bss.uow() as uow:
        return TmfResponse(kpis_json(bss_kpis(uow, bss.deps.clock(), months, until)))


@own.post(
    "/outage",
    status_code=201,
    summary="Record an outage of a product (the same id again updates it)",
    openapi_extra=takes(OutageIn),
)
async def outage(request: Request) -> TmfResponse:
    row, new = await bss_of(request).handle((await body(request, OutageIn)).command())
    return TmfResponse(
        {
            "id": row.id,
            "product": {"id": row.subscription_id},
            "validFor": {"startDateTime": instant(row.start), "endDateTime": instant(row.end)},
        },
        201 if new else 200,
    )


@own.post(
    "/maintenanceWindow",
    status_code=201,
    summary="Announce a maintenance window (excused for SLAs)",
    openapi_extra=takes(MaintenanceIn),
)
async def maintenance(request: Request) -> TmfResponse:
    row, new = await bss_of(request).handle((await body(request, MaintenanceIn)).command())
    return TmfResponse(
        {
            "id": row.id,
            "product": [{"id": p} for p in row.products],
            "validFor": {"startDateTime": instant(row.start), "endDateTime": instant(row.end)},
        },
        201 if new else 200,
    )


ROUTERS = (usage, bills, payments, own)
