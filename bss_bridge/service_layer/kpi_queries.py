"""The BSS's KPIs read from its database: the facts :mod:`bss_bridge.domain.kpi` computes them from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bss_bridge.domain.errors import InvalidRequestError
from bss_bridge.domain.kpi import BssKpis, InvoiceFact, LineFact, Month, SubscriptionFact, compute, last_months
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage.billing_tables import InvoiceLineRow, InvoiceRow, LedgerRow
from bss_bridge.storage.tables import SubscriptionRow

MAX_MONTHS = 36


def subscription_facts(uow: UnitOfWork) -> list[SubscriptionFact]:
    """Every subscription that is not a bundle's component; a termination counts once it happened."""
    rows = uow.session.execute(
        select(
            SubscriptionRow.id,
            SubscriptionRow.customer_id,
            SubscriptionRow.start_date,
            SubscriptionRow.termination_date,
            SubscriptionRow.status,
        ).where(SubscriptionRow.bundle_id.is_(None))
    )
    return [
        SubscriptionFact(key, customer, start, ended if status == "terminated" else None)
        for key, customer, start, ended, status in rows
    ]


def invoice_facts(uow: UnitOfWork, since: datetime) -> list[InvoiceFact]:
    """The invoices of billing periods starting from ``since``'s date, with their lines and credit notes."""
    invoices = list(uow.session.scalars(select(InvoiceRow).where(InvoiceRow.period_start >= since.date())))
    ids = [i.id for i in invoices]
    lines: dict[str, list[LineFact]] = {}
    notes: dict[str, int] = {}
    if ids:
        for row in uow.session.scalars(
            select(InvoiceLineRow).where(InvoiceLineRow.invoice_id.in_(ids)).order_by(InvoiceLineRow.position)
        ):
            lines.setdefault(row.invoice_id, []).append(
                LineFact(
                    row.id,
                    row.kind,
                    row.quantity,
                    row.unit_price,
                    row.gross,
                    row.discount,
                    row.amount,
                    row.tax_rate,
                    row.tax,
                    (row.coverage_end - row.coverage_start).days,
                    row.period_days,
                )
            )
        counted = (
            select(LedgerRow.invoice_id, func.count())
            .where(LedgerRow.kind == "creditNote", LedgerRow.invoice_id.in_(ids))
            .group_by(LedgerRow.invoice_id)
        )
        notes = {key: int(count) for key, count in uow.session.execute(counted) if key is not None}
    return [
        InvoiceFact(
            i.id,
            i.number,
            i.currency,
            i.period_start,
            i.subtotal,
            i.tax,
            i.total,
            tuple(lines.get(i.id, [])),
            notes.get(i.id, 0),
        )
        for i in invoices
    ]


def bss_kpis(uow: UnitOfWork, now: datetime, months: int, until: str | None = None) -> BssKpis:
    """Churn, ARPU and billing accuracy for the ``months`` calendar months (UTC) ending with ``until``
    (``YYYY-MM``; default: ``now``'s month)."""
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidRequestError.one("months", f"must be 1-{MAX_MONTHS}, got {months}")
    try:
        last = now if until is None else Month.parse(until).start
    except ValueError as exc:
        raise InvalidRequestError.one("until", str(exc)) from None
    window = last_months(last, months)
    return compute(subscription_facts(uow), invoice_facts(uow, window[0].start), window)


def _rate(value: Any) -> str | None:
    return None if value is None else f"{value:f}"


def kpis_json(kpis: BssKpis) -> dict[str, Any]:
    """The API's and the CLI's ``--format json`` shape: rates and money as decimal strings."""
    return {
        "churn": [
            {
                "month": str(c.month),
                "activeAtStart": c.active_at_start,
                "churned": c.churned,
                "started": c.started,
                "terminated": c.terminated,
                "rate": _rate(c.rate),
            }
            for c in kpis.churn
        ],
        "arpu": [
            {
                "month": str(a.month),
                "currency": a.currency,
                "revenue": f"{a.revenue:f}",
                "activeCustomers": a.active_customers,
                "arpu": _rate(a.arpu),
            }
            for a in kpis.arpu
        ],
        "billingAccuracy": [
            {
                "month": str(a.month),
                "invoices": a.invoices,
                "lines": a.lines,
                "confirmed": a.confirmed,
                "share": _rate(a.share),
                "adjustments": a.adjustments,
                "creditNotes": a.credit_notes,
                "adjustmentsPerInvoice": _rate(a.adjustments_per_invoice),
                "creditNotesPerInvoice": _rate(a.credit_notes_per_invoice),
                "unconfirmed": list(a.unconfirmed),
            }
            for a in kpis.accuracy
        ],
    }
