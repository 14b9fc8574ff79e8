"""Read models of the BSS console's pages: customers, one customer (accounts and balances,
subscriptions, usage, invoices), one invoice, and the KPIs. Nothing here writes; money stays
``Decimal`` and is formatted here, times are shown in the account's zone."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bss_bridge.bootstrap import Bss
from bss_bridge.documents.invoice import money as grouped
from bss_bridge.domain.errors import NotFoundError
from bss_bridge.domain.kpi import BssKpis
from bss_bridge.domain.quote import describe
from bss_bridge.service_layer.billing_queries import balance
from bss_bridge.service_layer.kpi_queries import bss_kpis
from bss_bridge.storage.billing_tables import InvoiceRow, UsageGroupRow
from bss_bridge.storage.mapping import price_from_data
from bss_bridge.storage.tables import BillingAccountRow, CustomerRow, OfferingRow, SubscriptionRow

KPI_MONTHS = 3
LIVE = ("active", "suspended", "pendingTerminate")
GB = 10**9


def money(amount: Decimal, currency: str) -> str:
    return f"{grouped(amount, currency)} {currency}"


def _local(moment: datetime | None, zone: str) -> str:
    return "" if moment is None else moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def customers(bss: Bss, search: str = "") -> list[dict[str, Any]]:
    """The customers whose name has ``search`` in it (any case), with their accounts, live
    subscriptions and what they owe (per currency)."""
    with bss.uow() as uow:
        session = uow.session
        query = select(CustomerRow).order_by(CustomerRow.name)
        if search.strip():
            query = query.where(func.lower(CustomerRow.name).contains(search.strip().lower(), autoescape=True))
        rows = list(session.scalars(query))
        accounts: dict[str, int] = {
            key: value
            for key, value in session.execute(
                select(BillingAccountRow.customer_id, func.count()).group_by(BillingAccountRow.customer_id)
            )
        }
        live: dict[str, int] = {
            key: value
            for key, value in session.execute(
                select(SubscriptionRow.customer_id, func.count())
                .where(SubscriptionRow.status.in_(LIVE), SubscriptionRow.bundle_id.is_(None))
                .group_by(SubscriptionRow.customer_id)
            )
        }
        owed: dict[str, dict[str, Decimal]] = defaultdict(dict)
        for customer, currency, remaining in session.execute(
            select(InvoiceRow.customer_id, InvoiceRow.currency, InvoiceRow.remaining)
        ):
            owed[customer][currency] = owed[customer].get(currency, Decimal(0)) + remaining
        return [
            {
                "id": c.id,
                "name": c.name,
                "status": c.status,
                "since": c.created_at.strftime("%Y-%m-%d"),
                "accounts": accounts.get(c.id, 0),
                "live": live.get(c.id, 0),
                "owed": [money(amount, cur) for cur, amount in sorted(owed.get(c.id, {}).items()) if amount],
            }
            for c in rows
        ]


def customer(bss: Bss, customer_id: str) -> dict[str, Any]:
    """A customer's accounts (balance, open and overdue bills), subscriptions, usage and invoices."""
    now = bss.deps.clock()
    with bss.uow() as uow:
        session = uow.session
        row = session.get(CustomerRow, customer_id)
        if row is None:
            raise NotFoundError("customer", customer_id)
        account_rows = list(
            session.scalars(select(BillingAccountRow).where(BillingAccountRow.customer_id == customer_id))
        )
        zones = {a.id: a.time_zone for a in account_rows}
        accounts = [
            {
                "id": a.id,
                "name": a.name,
                "currency": a.currency,
                "zone": a.time_zone,
                "cycle_day": a.bill_cycle_day,
                "tax": f"{a.tax_rate_pct:f} %",
                "state": a.state,
                "balance": balance(uow, a.id, now, bss.settings.dunning_grace_days),
            }
            for a in account_rows
        ]
        offerings = {key: value for key, value in session.execute(select(OfferingRow.id, OfferingRow.name))}
        subscriptions = []
        for s in session.scalars(
            select(SubscriptionRow)
            .where(SubscriptionRow.customer_id == customer_id)
            .order_by(SubscriptionRow.order_date)
        ):
            zone = zones.get(s.billing_account_id, "UTC")
            term = s.terms[-1] if s.terms else None
            subscriptions.append(
                {
                    "id": s.id,
                    "name": s.name,
                    "offering": offerings.get(s.offering_id, s.offering_id),
                    "status": s.status,
                    "bundle": s.bundle_id,
                    "ordered": _local(s.order_date, zone),
                    "started": _local(s.start_date, zone),
                    "ended": _local(s.termination_date, zone),
                    "characteristics": dict(term.characteristics) if term else {},
                    "prices": [_price(p) for p in (term.prices if term else [])],
                }
            )
        names = {s["id"]: s["name"] for s in subscriptions}
        usage = [
            {
                "subscription": names.get(g.subscription_id, g.subscription_id),
                "subscription_id": g.subscription_id,
                "kind": g.kind,
                "period": g.period_start.isoformat(),
                "records": g.records,
                "volume": f"{Decimal(g.octets) / GB:.3f} GB" if g.kind == "volume" else "",
                "billed": g.billed_through >= g.max_id,
                "invoice_id": g.invoice_id,
            }
            for g in session.scalars(
                select(UsageGroupRow)
                .where(UsageGroupRow.account_id.in_(list(zones)))
                .order_by(UsageGroupRow.period_start.desc(), UsageGroupRow.subscription_id)
            )
        ]
        invoices = [invoice_summary(i) for i in _invoices(session, list(zones))]
        numbers = {i["id"]: i["number"] for i in invoices}
        for u in usage:
            u["invoice"] = numbers.get(u["invoice_id"] or "", "")
        return {
            "customer": {
                "id": row.id,
                "name": row.name,
                "status": row.status,
                "reason": row.status_reason,
                "since": row.created_at.strftime("%Y-%m-%d"),
                "contacts": [_contact(c) for c in row.contacts],
            },
            "accounts": accounts,
            "subscriptions": subscriptions,
            "usage": usage,
            "invoices": invoices,
        }


def _invoices(session: Any, account_ids: list[str]) -> list[InvoiceRow]:
    query = select(InvoiceRow).where(InvoiceRow.account_id.in_(account_ids))
    return list(session.scalars(query.order_by(InvoiceRow.period_start.desc(), InvoiceRow.number.desc())))


def _price(data: Any) -> str:
    return describe(price_from_data(data)) if isinstance(data, dict) else str(data)


def _contact(contact: Any) -> str:
    if not isinstance(contact, dict):
        return str(contact)
    values = [str(v) for k, v in contact.items() if k != "type" and isinstance(v, str | int) and v]
    return f"{contact.get('type', 'contact')}: {', '.join(values)}"


def invoice_summary(i: InvoiceRow) -> dict[str, Any]:
    return {
        "id": i.id,
        "number": i.number,
        "account_id": i.account_id,
        "customer_id": i.customer_id,
        "period": f"{i.period_start.isoformat()} – {(i.period_end - timedelta(days=1)).isoformat()}",  # as printed
        "bill_date": _local(i.bill_date, i.time_zone),
        "due": i.due_date.isoformat(),
        "state": i.state,
        "subtotal": money(i.subtotal, i.currency),
        "tax": money(i.tax, i.currency),
        "total": money(i.total, i.currency),
        "remaining": money(i.remaining, i.currency),
        "open": i.remaining > 0,
    }


def invoice(bss: Bss, invoice_id: str) -> dict[str, Any]:
    with bss.uow() as uow:
        row = uow.session.get(InvoiceRow, invoice_id)
        if row is None:
            raise NotFoundError("invoice", invoice_id)
        found = invoice_summary(row)
        owner = uow.session.get(CustomerRow, row.customer_id)
        found["customer"] = owner.name if owner else row.customer_id
    return found


def kpis(bss: Bss) -> dict[str, Any]:
    """The last months' KPIs for the Customers page (the API has the same figures)."""
    with bss.uow() as uow:
        figures = bss_kpis(uow, bss.deps.clock(), KPI_MONTHS)
    return {
        "churn": figures.churn,
        "arpu": figures.arpu,
        "accuracy": figures.accuracy,
        "months": [str(c.month) for c in figures.churn],
    }


def since_first_activity(figures: BssKpis) -> BssKpis:
    """The months from the first with a subscription or an invoice on (the current month always)."""
    busy = {str(c.month) for c in figures.churn if c.active_at_start or c.started or c.terminated}
    busy |= {str(a.month) for a in figures.accuracy if a.invoices}
    first = min(busy, default=str(figures.churn[-1].month))
    return BssKpis(
        [c for c in figures.churn if str(c.month) >= first],
        [a for a in figures.arpu if str(a.month) >= first],
        [a for a in figures.accuracy if str(a.month) >= first],
    )
