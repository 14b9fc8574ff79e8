"""Billing as TMF resources: TMF678 customerBill and appliedCustomerBillingRate, TMF635 usage,
TMF676 payment. Pure renderings of what storage holds."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bss_bridge.domain.billing.bill import CustomerBill
from bss_bridge.domain.billing.cycles import BillingPeriod
from bss_bridge.domain.billing.lines import InvoiceLine
from bss_bridge.storage.billing_tables import LedgerRow, UsageRow
from bss_bridge.tmf.common import compact, instant, money

BILLING_BASES = {
    "tmf635": "/tmf-api/usageManagement/v4",
    "tmf676": "/tmf-api/paymentManagement/v4",
    "tmf678": "/tmf-api/customerBillManagement/v4",
}


def _href(base: str, api: str, collection: str, key: str) -> str:
    """The resource's URL, its key percent-encoded as :func:`bss_bridge.tmf.common.href` does (usage ids
    and payment correlatorIds are the client's: a ``€`` cannot be in a Location header, a ``?`` or ``#``
    would end the path)."""
    return f"{base}{BILLING_BASES[api]}/{collection}/{quote(key, safe='')}"


def period(p: BillingPeriod) -> dict[str, Any]:
    return {"startDateTime": instant(p.starts_at), "endDateTime": instant(p.ends_at)}


def _account(base: str, account_id: str) -> dict[str, Any]:
    return {
        "id": account_id,
        "href": f"{base}/tmf-api/accountManagement/v4/billingAccount/{account_id}",
        "@referredType": "BillingAccount",
    }


def render_bill(base: str, bill: CustomerBill) -> dict[str, Any]:
    taxes: dict[Any, Any] = defaultdict(lambda: bill.totals.tax - bill.totals.tax)
    for line in bill.lines:
        taxes[line.tax_rate] += line.tax
    documents = [
        {
            "name": f"{bill.number}.{kind}",
            "mimeType": mime,
            "url": f"{base}/bss/v1/invoice/{bill.id}/{kind}",
            "attachmentType": "invoice",
        }
        for kind, mime in (("pdf", "application/pdf"), ("html", "text/html"), ("csv", "text/csv"))
    ]
    return compact(
        {
            "id": bill.id,
            "href": _href(base, "tmf678", "customerBill", bill.id),
            "@type": "CustomerBill",
            "billNo": bill.number,
            "billDate": instant(bill.bill_date),
            "lastUpdate": instant(bill.updated_at),
            # the start of the due day where the account is billed (bill_date is read back in UTC)
            "paymentDueDate": instant(datetime.combine(bill.due_date, time.min, ZoneInfo(bill.time_zone))),
            "category": "normal",
            "runType": "onCycle",
            "state": bill.state.value,
            "billingAccount": _account(base, bill.account_id),
            "billingPeriod": period(bill.period),
            "taxExcludedAmount": money(bill.totals.subtotal, bill.currency),
            "taxIncludedAmount": money(bill.totals.total, bill.currency),
            "amountDue": money(bill.totals.total if bill.totals.total > 0 else bill.remaining, bill.currency),
            "remainingAmount": money(bill.remaining, bill.currency),
            "taxItem": [
                {"taxCategory": "VAT", "taxRate": rate, "taxAmount": money(amount, bill.currency)}
                for rate, amount in sorted(taxes.items())
            ],
            "billDocument": documents,
        }
    )


def render_rate(base: str, bill: CustomerBill, position: int, line: InvoiceLine) -> dict[str, Any]:
    key = f"{bill.id}-{position + 1}"
    characteristics = [
        {"name": "kind", "valueType": "string", "value": line.kind.value},
        {"name": "quantity", "valueType": "number", "value": line.quantity},
        {"name": "unit", "valueType": "string", "value": line.unit},
        {"name": "unitPrice", "valueType": "number", "value": line.unit_price},
        {"name": "grossAmount", "valueType": "number", "value": line.gross},
        {"name": "discount", "valueType": "number", "value": line.discount},
    ]
    return compact(
        {
            "id": key,
            "href": _href(base, "tmf678", "appliedCustomerBillingRate", key),
            "@type": "AppliedCustomerBillingRate",
            "name": line.price_name or line.kind.value,
            "description": line.description,
            "date": instant(bill.bill_date),
            "type": line.tmf_type,
            "isBilled": True,
            "bill": {"id": bill.id, "href": _href(base, "tmf678", "customerBill", bill.id)},
            "billingAccount": _account(base, bill.account_id),
            "periodCoverage": period(line.coverage),
            "product": None
            if line.subscription_id is None
            else {
                "id": line.subscription_id,
                "href": f"{base}/tmf-api/productInventory/v4/product/{line.subscription_id}",
                "name": line.product,
            },
            "taxExcludedAmount": money(line.amount, line.currency),
            "taxIncludedAmount": money(line.tax_included, line.currency),
            "appliedTax": [
                {"taxCategory": "VAT", "taxRate": line.tax_rate, "taxAmount": money(line.tax, line.currency)}
            ],
            "characteristic": characteristics,
        }
    )


def render_usage(
    base: str, row: UsageRow, status: str, invoice_id: str | None, rated_at: datetime | None, customer_id: str | None
) -> dict[str, Any]:
    values: list[tuple[str, str, Any]] = [("productId", "string", row.product_id)]
    if row.kind == "volume":
        values += [("inboundOctets", "integer", row.inbound_octets), ("outboundOctets", "integer", row.outbound_octets)]
    else:
        values += [("inboundMbps", "number", row.inbound_mbps), ("outboundMbps", "number", row.outbound_mbps)]
    if row.end_date is not None:
        values.append(("endDateTime", "string", instant(row.end_date)))
    rated = None
    if status in ("rated", "billed") and row.subscription_id:
        rated = [
            compact(
                {
                    "isBilled": status == "billed",
                    "ratingDate": instant(rated_at),
                    "usageRatingTag": "usage",
                    "productRef": {
                        "id": row.subscription_id,
                        "href": f"{base}/tmf-api/productInventory/v4/product/{row.subscription_id}",
                    },
                }
            )
        ]
    return compact(
        {
            "id": row.usage_id,
            "href": _href(base, "tmf635", "usage", row.usage_id),
            "@type": "Usage",
            "usageDate": instant(row.usage_date),
            "usageType": row.kind,
            "status": status,
            "description": row.problem or (f"billed on {invoice_id}" if status == "billed" else None),
            "usageCharacteristic": [{"name": n, "valueType": t, "value": v} for n, t, v in values],
            "relatedParty": None
            if customer_id is None
            else [
                {
                    "id": customer_id,
                    "role": "customer",
                    "@referredType": "Customer",
                    "href": f"{base}/tmf-api/customerManagement/v4/customer/{customer_id}",
                }
            ],
            "ratedProductUsage": rated,
        }
    )


def render_payment(base: str, row: LedgerRow) -> dict[str, Any]:
    details = row.details
    return compact(
        {
            "id": row.key,
            "href": _href(base, "tmf676", "payment", row.key),
            "@type": "Payment",
            "correlatorId": row.key,
            "description": details.get("description") or None,
            "paymentDate": instant(row.at),
            "status": "done",
            "statusDate": instant(row.created_at),
            "account": {
                "id": row.account_id,
                "@referredType": "BillingAccount",
                "href": f"{base}/tmf-api/accountManagement/v4/billingAccount/{row.account_id}",
            },
            "paymentMethod": {"name": details.get("method") or "unspecified", "@type": "PaymentMethodRef"},
            "totalAmount": money(row.amount, row.currency),
        }
    )
