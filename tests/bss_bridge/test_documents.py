"""An invoice rendered for a person: HTML (amounts right-aligned, zone, period, lines, tax, totals,
the SLA credit with its measured availability), the same as PDF, and CSV."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bss_bridge.bootstrap import Bss
from bss_bridge.documents.invoice import Parties, invoice_csv, invoice_html, invoice_pdf, quantity, unit_price
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.billing.bill import CustomerBill
from bss_bridge.domain.billing.cycles import BillCycle
from bss_bridge.domain.billing.lines import LineKind, LineSpec, TaxTerms, make_line

from .billing_world import account, bill, run, subscribe, utc, volume


def april_invoice(bss: Bss) -> CustomerBill:
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 1, 1, 9))
    bill(bss, utc(2026, 3, 1, 8), acme)
    run(bss, bc.ImportUsage((volume("m1", sub, utc(2026, 3, 5), 900, 355),)))
    run(bss, bc.RecordOutage("ticket-7", sub, utc(2026, 3, 10, 8), utc(2026, 3, 10, 20), "fibre cut"))
    issued = bill(bss, utc(2026, 4, 1, 8), acme).issued[0]
    with bss.uow() as uow:
        found = uow.invoices.get(issued.bill_id)
    assert found is not None
    return found


def test_the_invoice_page_shows_what_a_customer_needs(bss: Bss) -> None:
    invoice = april_invoice(bss)
    page = invoice_html(invoice, Parties("ACME", "main"))
    for shown in (
        "Invoice INV-2026-000004", "2026-04-01 – 2026-04-30", "Europe/Paris", "2026-04-01 10:00 CEST",
        "availability 98.384 %", "Tax (20 %)", ">Total (EUR)<", "text-align: right",
    ):
        assert shown in page, shown
    assert page.count('<td class="num">') >= 6 * len(invoice.lines)  # every amount in a right-aligned cell
    assert f'<td class="num">{invoice.totals.total:,f}</td>' in page
    assert "http" not in page  # self-contained: nothing fetched from outside


def test_the_pdf_is_the_page_laid_out_and_the_csv_its_exact_lines(bss: Bss, tmp_path: Path) -> None:
    invoice = april_invoice(bss)
    pdf = invoice_pdf(invoice, Parties("ACME", "main"))
    assert pdf.startswith(b"%PDF-") and len(pdf) > 5000
    (Path(os.environ.get("BSS_INVOICE_PDF", tmp_path / "invoice.pdf"))).write_bytes(pdf)
    rows = list(csv.DictReader(io.StringIO(invoice_csv([invoice]))))
    assert len(rows) == len(invoice.lines)
    assert sum(Decimal(r["amount"]) for r in rows) == invoice.totals.subtotal
    assert {r["kind"] for r in rows} >= {"recurringCharge", "usageCharge", "slaCredit"}


def test_a_long_invoice_with_long_names_stays_on_its_pages(bss: Bss) -> None:
    """Laid out by WeasyPrint, read back from its boxes: a line whose row met a page break used to
    leave its numbers on one page and its description on the next, and a long customer or account
    name pushed the bill date and due date past the page's edge, or printed over them."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    invoice = april_invoice(bss)
    invoice = replace(invoice, lines=invoice.lines * 12)  # pages of lines; one with a two-line description
    who = Parties("ACME International Holdings " * 5 + "Ltd", "accounts-payable.department" * 3)
    document = HTML(string=invoice_html(invoice, who)).render()
    assert len(document.pages) >= 3

    def text(box: Any) -> str:
        return "".join(t.text for t in box.descendants() if isinstance(t, boxes.TextBox))

    def within(box: Any, cls: str) -> bool:
        return box.element is not None and cls in (box.element.get("class") or "").split()

    rows = []
    for page in document.pages:
        page_box = page._page_box
        left, right = page_box.margin_left, page.width - page_box.margin_right
        for box in page_box.descendants():
            if isinstance(box, boxes.TextBox):  # every word inside the page's margins
                assert left - 0.5 <= box.position_x and box.position_x + box.width <= right + 0.5, box.text
            if isinstance(box, boxes.TableBox) and within(box, "lines"):
                for group in box.children:
                    rows += [] if group.is_header else [[text(cell) for cell in row.children] for row in group.children]
            if isinstance(box, boxes.TableCellBox) and within(box, "who"):
                who_right = max(t.position_x + t.width for t in box.descendants() if isinstance(t, boxes.TextBox))
            if isinstance(box, boxes.TableCellBox) and within(box, "when"):
                when_left = min(t.position_x for t in box.descendants() if isinstance(t, boxes.TextBox))
    assert who_right <= when_left  # the names wrap in their column, clear of the dates
    assert len(rows) == len(invoice.lines)  # each line's row whole, on one page
    assert all(all(cell for cell in row[:3]) for row in rows)


def test_a_prorated_line_reads_as_its_amount_was_reached(bss: Bss) -> None:
    """A subscription active from 16 March: its line used to say "1 month" at "79" for 40.77, and its
    description "2026-03-16..2026-04-01" (the end excluded) beside "2026-03-16 - 2026-03-31"."""
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 16, 9))
    first = bill(bss, utc(2026, 4, 1, 8), acme).issued[0]
    with bss.uow() as uow:
        invoice = uow.invoices.get(first.bill_id)
    assert invoice is not None
    page = invoice_html(invoice, Parties("ACME", "main"))
    assert (
        '<td class="desc">bia-100, monthly 2026-03-16 \u2013 2026-03-31, 16 of 31 days, launch</td>'
        '<td class="covers">2026-03-16 \u2013 2026-03-31</td>\n'
        '      <td class="num">16/31 month</td><td class="num">79.00</td>\n'
        '      <td class="num">40.77</td>'
    ) in page  # 79.00 x 16/31 = 40.774: 40.77
    assert '<td class="num">1 each</td><td class="num">150.00</td>' in page  # the setup fee
    assert "Billing period</td><td>2026-03-01 \u2013 2026-03-31<" in page
    assert ".." not in page


def test_a_credit_shows_the_unused_part_and_a_unit_price_its_currency_s_decimals() -> None:
    cycle = BillCycle(1, "Europe/Paris")
    period = cycle.period_containing(date(2026, 1, 20))
    twelve_days = cycle.span(date(2026, 1, 20), period.end)
    spec = LineSpec(kind=LineKind.RECURRING_CREDIT, description="Credit", coverage=twelve_days, quantity=Decimal(-1),
                    unit="month", unit_price=Decimal(62), gross=Decimal(-24), period_days=period.days)
    unused = make_line(spec, "EUR", TaxTerms())
    assert quantity(unused) == "-12/31 month"
    assert quantity(replace(unused, kind=LineKind.USAGE, quantity=Decimal("120.50"), unit="GB")) == "120.5 GB"
    assert quantity(replace(unused, coverage=period, quantity=Decimal(1))) == "1 month"  # the whole period
    assert [unit_price(Decimal(v), c) for v, c in (("62", "EUR"), ("0.067", "EUR"), ("1234.5", "EUR"), ("1500", "JPY"),
                                                   ("0.5", "JPY"), ("1.5", "KWD"))] == [
        "62.00", "0.067", "1,234.50", "1,500", "0.5", "1.500"
    ]


def test_the_csv_never_hands_a_spreadsheet_a_formula(bss: Bss) -> None:
    """A description that starts a formula (an operator's adjustment, an offering's name) is text in a
    spreadsheet; amounts, negative ones too, stay numbers."""
    invoice = april_invoice(bss)
    first, *rest = invoice.lines
    hostile = replace(first, description='=HYPERLINK("http://evil.example","pay here")')
    rows = list(csv.DictReader(io.StringIO(invoice_csv([replace(invoice, lines=(hostile, *rest))]))))
    assert rows[0]["description"] == "'" + hostile.description
    assert [r["description"] for r in rows[1:]] == [line.description for line in rest]
    credit = [r for r in rows if r["kind"] == "slaCredit"]
    assert credit and all(Decimal(r["amount"]) < 0 and r["amount"].startswith("-") for r in credit)
