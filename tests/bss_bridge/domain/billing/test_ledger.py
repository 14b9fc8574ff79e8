"""The account ledger: a retried payment counts once, a changed retry is refused, balances and
overdue invoices after allocating payments oldest first."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss_bridge.domain.billing.errors import InvalidBillingInputError, LedgerConflictError
from bss_bridge.domain.billing.ledger import EntryKind, LedgerEntry, balance, open_invoices, overdue, post

D = Decimal
WHEN = datetime(2024, 2, 1, tzinfo=UTC)


def invoice(id_: str, amount: str, due: date) -> LedgerEntry:
    return LedgerEntry(id_, EntryKind.INVOICE, D(amount), "EUR", WHEN, due)


def payment(id_: str, amount: str) -> LedgerEntry:
    return LedgerEntry(id_, EntryKind.PAYMENT, D(amount), "EUR", WHEN)


def test_a_retried_payment_counts_once_and_a_changed_retry_is_refused() -> None:
    ledger = post((), invoice("2024-0001", "295.20", date(2024, 2, 15)))
    ledger = post(ledger, payment("pay-1", "295.20"))
    assert post(ledger, payment("pay-1", "295.20")) is ledger  # the webhook delivered twice
    assert balance(ledger) == D("0.00")
    with pytest.raises(LedgerConflictError, match="pay-1"):
        post(ledger, payment("pay-1", "29.52"))
    assert balance(ledger) == D("0.00")


def test_open_and_overdue_invoices_after_oldest_first_allocation() -> None:
    ledger: tuple[LedgerEntry, ...] = ()
    for entry in (
        invoice("A", "100.00", date(2024, 1, 10)),
        invoice("B", "50.00", date(2024, 2, 10)),
        payment("p", "120.00"),
        LedgerEntry("cn", EntryKind.CREDIT_NOTE, D("5.00"), "EUR", WHEN),
    ):
        ledger = post(ledger, entry)
    assert balance(ledger) == D("25.00")
    assert open_invoices(ledger) == {"B": D("25.00")}
    assert overdue(ledger, date(2024, 2, 17), grace_days=7) == ()
    assert overdue(ledger, date(2024, 2, 18), grace_days=7) == ("B",)
    assert overdue(post(ledger, payment("p2", "25.00")), date(2024, 3, 1), grace_days=7) == ()
    refunded = post(post(ledger, payment("p3", "40.00")), LedgerEntry("r", EntryKind.REFUND, D("15.00"), "EUR", WHEN))
    assert balance(refunded) == D(0) and open_invoices(refunded) == {}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: payment("p", "0"), "positive"),
        (lambda: payment("p", "1.005"), "minor units"),
        (lambda: payment("", "1"), "id"),
        (lambda: LedgerEntry("p", EntryKind.PAYMENT, D(1), "EUR", WHEN, date(2024, 1, 1)), "due date"),
        (lambda: LedgerEntry("i", EntryKind.INVOICE, D(1), "EUR", WHEN), "due date"),
        (lambda: post((payment("p", "1"),), LedgerEntry("q", EntryKind.PAYMENT, D(1), "USD", WHEN)), "in USD"),
    ],
)
def test_bad_ledger_entries_are_refused(make: object, message: str) -> None:
    with pytest.raises(InvalidBillingInputError, match=message):
        make()  # type: ignore[operator]


ENTRIES = st.lists(st.tuples(st.sampled_from(list(EntryKind)), st.integers(0, 6), st.integers(1, 10_000)), max_size=30)


@given(ENTRIES, st.randoms())
def test_the_balance_counts_each_entry_once_whatever_the_order_and_retries(
    rows: list[tuple[EntryKind, int, int]], rnd: random.Random
) -> None:
    distinct: dict[tuple[EntryKind, str], LedgerEntry] = {}
    for kind, key, cents in rows:
        due = date(2024, 2, 1) if kind is EntryKind.INVOICE else None
        distinct.setdefault((kind, f"k{key}"), LedgerEntry(f"k{key}", kind, D(cents) / 100, "EUR", WHEN, due))
    stream = list(distinct.values()) * 2
    rnd.shuffle(stream)
    ledger: tuple[LedgerEntry, ...] = ()
    for entry in stream:
        ledger = post(ledger, entry)
    assert len(ledger) == len(distinct)
    assert balance(ledger) == sum((e.signed for e in distinct.values()), D(0))
    invoiced = sum((e.amount for e in ledger if e.kind is EntryKind.INVOICE), D(0))
    assert sum(open_invoices(ledger).values(), D(0)) == min(invoiced, max(balance(ledger), D(0)))
