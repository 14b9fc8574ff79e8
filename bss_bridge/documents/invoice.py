"""An invoice for a person: :func:`invoice_html` (a page any web front end can serve or embed),
:func:`invoice_pdf` (that page laid out by WeasyPrint) and :func:`invoice_csv` (its lines).

Amounts are shown with exactly the currency's decimals (a unit price with at least them), dates
and times in the account's zone (stored in UTC), a period as the local dates it covers, its last day
included (stored half-open, ``[start, end)``), and a prorated recurring line's quantity as the part
of its period it covers, so that quantity × unit price is its amount. The CSV carries the stored
values: exact decimals, the coverage end exclusive, the quantity before proration.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from bss_bridge.domain.billing.bill import CustomerBill
from bss_bridge.domain.billing.lines import InvoiceLine, LineKind
from bss_bridge.domain.money import minor_units, round_money

PRORATED = frozenset({LineKind.RECURRING, LineKind.RECURRING_CREDIT})  # prorated by days (see ``proration``)


@dataclass(frozen=True, slots=True)
class Parties:
    """Who the invoice is for, as printed."""

    customer: str
    account_name: str


def money(amount: Decimal, currency: str) -> str:
    """``1,234.50``: grouped, with exactly the currency's decimals."""
    return f"{round_money(amount, currency):,f}"


def quantity(line: InvoiceLine) -> str:
    """The line's quantity as its amount was reached: a recurring line covering part of its period
    shows that part (``16/31 month``: 16 of the period's 31 days, as its description says), so that
    quantity × unit price is the amount; ``-`` marks a credit."""
    value = line.quantity
    days, whole = line.coverage.days, line.period_days
    if line.kind in PRORATED and whole and 0 < days < whole:
        share = f"{days}/{whole}"
        text = share if value == 1 else f"-{share}" if value == -1 else f"{value.normalize():f} × {share}"
    else:
        text = f"{value.normalize():f}"
    return f"{text} {line.unit}"


def unit_price(value: Decimal, currency: str) -> str:
    """At least the currency's decimals (``79.00``), more where the price has them (``0.067``)."""
    exact = value.normalize()
    return f"{exact:,f}" if -int(exact.as_tuple().exponent) > minor_units(currency) else money(value, currency)


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("bss_bridge.documents"), autoescape=select_autoescape(["html", "j2"]))


def view(bill: CustomerBill, parties: Parties) -> dict[str, object]:
    """What the template shows (every amount and date already formatted)."""
    zone, currency = ZoneInfo(bill.time_zone), bill.currency
    lines = []
    for line in bill.lines:
        css = "sla credit" if line.kind is LineKind.SLA_CREDIT else ("credit" if line.tax_included < 0 else "")
        lines.append({
            "description": line.description, "covers": line.coverage.shown, "css": css,
            "quantity": quantity(line),
            "unit_price": unit_price(line.unit_price, currency) if line.kind is not LineKind.SLA_CREDIT else "",
            "gross": money(line.gross, currency), "discount": money(line.discount, currency),
            "amount": money(line.amount, currency), "tax": money(line.tax, currency),
        })
    rates = sorted({line.tax_rate for line in bill.lines})
    t = bill.totals
    return {
        "number": bill.number, "customer": parties.customer, "account_name": parties.account_name,
        "account_id": bill.account_id, "period": bill.period.shown, "currency": currency,
        "time_zone": bill.time_zone, "state": bill.state.value,
        "bill_date": bill.bill_date.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
        "due_date": bill.due_date.isoformat(), "lines": lines,
        "gross": money(t.gross, currency), "discount": money(t.discount, currency),
        "subtotal": money(t.subtotal, currency), "tax": money(t.tax, currency), "total": money(t.total, currency),
        "remaining": money(bill.remaining, currency),
        "tax_label": "Tax" if not rates else "Tax (" + ", ".join(f"{r.normalize():f} %" for r in rates) + ")",
        "exemption": bill.tax_exemption,
    }


def invoice_html(bill: CustomerBill, parties: Parties) -> str:
    """The invoice as one self-contained HTML page (inline CSS, no outside resource)."""
    return _environment().get_template("invoice.html.j2").render(v=view(bill, parties))


def invoice_pdf(bill: CustomerBill, parties: Parties) -> bytes:
    """The invoice as PDF: :func:`invoice_html` laid out for A4 by WeasyPrint."""
    from weasyprint import HTML  # imported when asked: it loads Pango

    pdf: bytes = HTML(string=invoice_html(bill, parties)).write_pdf()
    return pdf


CSV_COLUMNS = (
    "invoice", "line", "kind", "description", "coverage_start", "coverage_end", "quantity", "unit", "unit_price",
    "gross", "discount", "amount", "tax_rate", "tax", "currency", "product_id",
)


# What a spreadsheet would take for a formula at the start of a cell (OWASP's CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """Text as a spreadsheet shows it, never runs it: one that would start a formula (an operator's
    adjustment described ``=HYPERLINK(...)``) is prefixed with ``'``. Numbers are written as they are."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def invoice_csv(bills: list[CustomerBill]) -> str:
    """The lines of ``bills`` as CSV (exact decimals, the coverage end exclusive as stored; text that
    would start a formula quoted, see :func:`text_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for bill in bills:
        for n, line in enumerate(bill.lines, start=1):
            writer.writerow([
                bill.number, n, line.kind.value, text_cell(line.description), line.coverage.start.isoformat(),
                line.coverage.end.isoformat(), f"{line.quantity:f}", text_cell(line.unit), f"{line.unit_price:f}",
                f"{line.gross:f}", f"{line.discount:f}", f"{line.amount:f}", f"{line.tax_rate:f}", f"{line.tax:f}",
                bill.currency, line.subscription_id or "",
            ])
    return out.getvalue()
