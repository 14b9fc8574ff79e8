"""The BSS's KPIs on hand-made facts, each figure worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bss_bridge.domain.kpi import (
    InvoiceFact,
    LineFact,
    Month,
    SubscriptionFact,
    accuracy,
    arpu,
    churn,
    compute,
    last_months,
)

D = Decimal
MARCH = Month(2026, 3)


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


SUBS = [
    SubscriptionFact("a", "c1", at(1, 10), None),  # active all March
    SubscriptionFact("b", "c1", at(2, 1), at(3, 15)),  # active at the start, terminated in March: churned
    SubscriptionFact("c", "c2", at(2, 20), at(4, 2)),  # terminated in April: still active in March
    SubscriptionFact("d", "c3", at(3, 5), at(3, 20)),  # started and ended in March: not in the rate
    SubscriptionFact("e", "c4", at(1, 1), at(3, 1)),  # ended at March's first instant: not active at its start
    SubscriptionFact("f", "c5", None, None),  # never activated
    SubscriptionFact("g", "c6", at(3, 1), None),  # started at March's first instant: active at its start
]


def test_churn_is_the_terminations_of_the_subscriptions_active_at_the_months_start() -> None:
    march = churn(SUBS, MARCH)
    # active at 2026-03-01T00:00Z: a, b, c, g (e ended at that instant, d started later) -> 4; churned: b
    assert (march.active_at_start, march.churned, march.rate) == (4, 1, D("0.2500"))
    assert (march.started, march.terminated) == (1, 3)  # d started; b, d and e ended in March
    april = churn(SUBS, Month(2026, 4))
    assert (april.active_at_start, april.churned, april.rate) == (3, 1, D("0.3333"))  # a, c, g; c churned
    assert churn(SUBS, Month(2025, 12)).rate is None  # nobody was active yet


def line(
    key: str,
    quantity: str,
    price: str,
    gross: str,
    amount: str,
    tax: str,
    discount: str = "0",
    kind: str = "recurringCharge",
    rate: str = "20",
) -> LineFact:
    return LineFact(key, kind, D(quantity), D(price), D(gross), D(discount), D(amount), D(rate), D(tax))


# 0.067 x 55 = 3.685 -> 3.69 half up; its tax 20 % = 0.738 -> 0.74
GOOD = line("l1", "55", "0.067", "3.69", "3.69", "0.74", kind="usageCharge")
PRORATED = line("l2", "0.5", "49.99", "25.00", "20.00", "4.00", discount="5.00")  # 24.995 -> 25.00
BAD_GROSS = line("l3", "2", "10", "21.00", "21.00", "4.20")  # 2 x 10 is 20.00
BAD_TAX = line("l4", "1", "10", "10.00", "10.00", "2.10")  # 20 % of 10.00 is 2.00
ADJUST = line("l5", "1", "-3.50", "-3.50", "-3.50", "-0.70", kind="adjustment")


def invoice(
    number: str,
    start: date,
    *lines: LineFact,
    notes: int = 0,
    currency: str = "EUR",
    totals: tuple[str, str] | None = None,
) -> InvoiceFact:
    subtotal = sum((x.amount for x in lines), D(0))
    tax = sum((x.tax for x in lines), D(0))
    if totals is not None:
        subtotal, tax = D(totals[0]), D(totals[1])
    return InvoiceFact(number, number, currency, start, subtotal, tax, subtotal + tax, lines, notes)


INVOICES = [
    invoice("INV-1", date(2026, 3, 1), GOOD, PRORATED, ADJUST, notes=1),  # 3.69 + 20.00 - 3.50 = 20.19
    invoice("INV-2", date(2026, 3, 1), BAD_GROSS, BAD_TAX),  # 31.00
    invoice("INV-3", date(2026, 3, 15), GOOD, totals=("3.70", "0.74"), notes=2),  # totals not the line's sum
    invoice("INV-4", date(2026, 2, 1), GOOD),  # February's
    invoice("INV-5", date(2026, 3, 1), line("y1", "1", "1000", "1000", "1000", "200", rate="20"), currency="JPY"),
]


def test_arpu_is_the_months_invoiced_revenue_over_its_active_customers_per_currency() -> None:
    eur, jpy = arpu(SUBS, INVOICES, MARCH)
    # customers active at some moment of March: c1 (a, b), c2 (c), c3 (d), c6 (g); c4 ended at its first instant
    assert eur.active_customers == 4
    assert eur.revenue == D("54.89")  # 20.19 + 31.00 + 3.70
    assert eur.arpu == D("13.72")  # 54.89 / 4 = 13.7225 -> 13.72
    assert (jpy.currency, jpy.revenue, jpy.arpu) == ("JPY", D("1000"), D("250"))
    assert arpu(SUBS, INVOICES, Month(2026, 5)) == []  # nothing invoiced
    assert arpu([], INVOICES, MARCH)[0].arpu is None  # revenue but no active customer


def test_arpu_rounds_half_up_to_the_minor_unit() -> None:
    subs = [SubscriptionFact(str(n), f"c{n}", at(1, 1), None) for n in range(8)]
    [figure] = arpu(subs, [invoice("I", date(2026, 3, 1), line("l", "1", "0.1", "0.10", "0.10", "0.02"))], MARCH)
    assert figure.arpu == D("0.01")  # 0.10 / 8 = 0.0125 -> 0.01
    [figure] = arpu(subs[:4], [invoice("I", date(2026, 3, 1), line("l", "1", "0.1", "0.10", "0.10", "0.02"))], MARCH)
    assert figure.arpu == D("0.03")  # 0.10 / 4 = 0.025 -> 0.03 half up (half even would give 0.02)


def test_billing_accuracy_confirms_lines_by_recomputing_them_and_counts_corrections() -> None:
    march = accuracy(INVOICES, MARCH)
    # March: INV-1 (3 lines, all right), INV-2 (2 wrong), INV-3 (1 right line, wrong totals), INV-5 (1 right)
    assert (march.invoices, march.lines, march.confirmed) == (4, 7, 4)
    assert march.share == D("0.5714")  # 4 / 7
    assert (march.adjustments, march.credit_notes) == (1, 3)
    assert march.adjustments_per_invoice == D("0.2500") and march.credit_notes_per_invoice == D("0.7500")
    assert march.unconfirmed == (
        "INV-2: l3: gross 21.00 but 2 x 10 is 20.00",
        "INV-2: l4: tax 2.10 but 10.00 x 20 % is 2.00",
        "INV-3: l1: totals 3.70/0.74/4.44 but the lines sum to 3.69/0.74",
    )
    empty = accuracy(INVOICES, Month(2026, 6))
    assert (empty.lines, empty.share, empty.adjustments_per_invoice) == (0, None, None)


def test_an_amount_that_is_not_gross_minus_discount_is_not_confirmed() -> None:
    wrong = line("w", "1", "10", "10.00", "9.00", "1.80", discount="0.50")
    assert accuracy([invoice("I", date(2026, 3, 1), wrong)], MARCH).unconfirmed == (
        "I: w: amount 9.00 but gross - discount is 9.50",
    )


def test_months_run_in_utc_oldest_first_and_parse_strictly() -> None:
    now = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert [str(m) for m in last_months(now, 3)] == ["2025-11", "2025-12", "2026-01"]
    assert Month(2026, 12).next() == Month(2027, 1) and Month(2026, 12).end == datetime(2027, 1, 1, tzinfo=UTC)
    assert Month.parse("2026-02") == Month(2026, 2)
    with pytest.raises(ValueError, match="2026-13"):
        Month.parse("2026-13")
    figures = compute(SUBS, INVOICES, last_months(at(3, 31), 2))
    assert [str(c.month) for c in figures.churn] == ["2026-02", "2026-03"]
    assert [(str(a.month), a.currency) for a in figures.arpu] == [
        ("2026-02", "EUR"),
        ("2026-03", "EUR"),
        ("2026-03", "JPY"),
    ]
