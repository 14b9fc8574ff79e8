"""An invoice rendered for a person: HTML (amounts right-aligned, zone, period, lines, tax, totals,
the SLA credit with its measured availability), the same as PDF, and CSV."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from bss_bridge.bootstrap import Bss
from bss_bridge.documents.invoice import Parties, invoice_csv, invoice_html, invoice_pdf
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.billing.bill import CustomerBill

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
