"""Bill runs through the service layer, on SQLite and a real PostgreSQL: the first invoices of a
subscription, a preview that is the invoice, a repeated run that makes nothing, late usage billed
once as an adjustment, and invoice numbers without gaps under concurrent runs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.billing.lines import LineKind
from bss_bridge.domain.billing.metering import in_unit
from bss_bridge.storage.billing_tables import BillCycleRow, InvoiceRow, UsageRow
from bss_bridge.storage.usage_store import UsageStore, with_status

from ..billing_world import GB, account, bill, run, subscribe, utc, volume
from ..conftest import Clock, KnownInventory, make_bss

D = Decimal


@pytest.fixture
def any_bss(database_url: str, tmp_path: Path, inventory: KnownInventory, clock: Clock) -> Iterator[Bss]:
    """A BSS on SQLite and on PostgreSQL (the same tests run on both)."""
    bss = make_bss(database_url, tmp_path, inventory, clock)
    yield bss
    bss.close()


def lines_of(report: object) -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
    return [
        (str(line.kind), line.description, line.gross, line.discount, line.tax)
        for b in report.bills  # type: ignore[attr-defined]
        if b.draft
        for line in b.draft.lines
    ]


def statuses(bss: Bss) -> dict[str, str]:
    with bss.uow() as uow:
        mark = UsageStore(uow.session).mark()
        return {row.usage_id: status for row, status, _, _ in uow.session.execute(with_status(mark))}


def test_the_first_invoices_of_a_subscription_activated_mid_month(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)  # Europe/Paris, bill cycle day 1, 20 % VAT
    sub = subscribe(bss, acme, utc(2026, 3, 10, 10))  # bia-100: 150 setup, 79/month, 50 % for 3 months
    run(bss, bc.ImportUsage((volume("u1", sub, utc(2026, 3, 12), 700, 500),)))
    report = bill(bss, utc(2026, 4, 1, 8), acme)  # 10:00 in Paris: March and April are due
    assert [(b.number, str(b.period)) for b in report.bills] == [
        ("INV-2026-000001", "2026-03-01..2026-04-01"),
        ("INV-2026-000002", "2026-04-01..2026-05-01"),
    ]
    assert lines_of(report) == [
        ("oneTimeCharge", "bia-100, setup (2026-03-10)", D("150.00"), D("0.00"), D("30.00")),
        (
            "recurringCharge",
            "bia-100, monthly 2026-03-10..2026-04-01, 22 of 31 days, launch",
            D("56.06"),
            D("28.03"),
            D("5.61"),
        ),
        (
            "usageCharge",
            "bia-100, traffic 2026-03-01..2026-04-01: 1000 of 1000 GB included",
            D("0.00"),
            D("0.00"),
            D("0.00"),
        ),
        ("usageCharge", "bia-100, traffic 2026-03-01..2026-04-01: 200 GB at 0.05", D("10.00"), D("0.00"), D("2.00")),
        ("recurringCharge", "bia-100, monthly 2026-04-01..2026-05-01, launch", D("79.00"), D("39.50"), D("7.90")),
    ]
    assert [b.draft.totals.total for b in report.bills] == [D("213.64"), D("59.40")]
    assert statuses(bss) == {"u1": "billed"}


def test_a_preview_is_the_invoice_the_run_then_makes_and_a_repeated_run_makes_nothing(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 10, 10))
    run(bss, bc.ImportUsage(tuple(volume(f"u{n}", sub, utc(2026, 3, 11 + n), 90, 37) for n in range(10))))
    preview = bill(bss, utc(2026, 4, 1, 8), acme, preview=True)
    assert statuses(bss) == dict.fromkeys((f"u{n}" for n in range(10)), "guided")  # a preview stores nothing
    issued = bill(bss, utc(2026, 4, 1, 8), acme)
    assert [b.draft for b in preview.bills] == [b.draft for b in issued.bills]
    assert [b.number for b in preview.bills] == [None, None] and len(issued.issued) == 2
    again = bill(bss, utc(2026, 4, 1, 8), acme)
    assert again.bills == []
    with bss.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(InvoiceRow)) == 2
        assert uow.session.scalar(select(func.count()).select_from(BillCycleRow)) == 2


def test_late_usage_is_an_adjustment_on_the_next_invoice_and_every_record_is_billed_once(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 1, 5))
    run(bss, bc.ImportUsage((volume("jan-1", sub, utc(2026, 1, 20), 900),)))
    first = bill(bss, utc(2026, 2, 1, 12), acme)  # January and February issued
    run(
        bss, bc.ImportUsage((volume("jan-late", sub, utc(2026, 1, 30), 300), volume("feb-1", sub, utc(2026, 2, 3), 50)))
    )
    assert statuses(bss) == {"jan-1": "billed", "jan-late": "guided", "feb-1": "guided"}
    second = bill(bss, utc(2026, 3, 1, 12), acme)
    usage = [
        line for b in second.bills for line in b.draft.lines if line.kind in (LineKind.USAGE, LineKind.USAGE_ADJUSTMENT)
    ]
    assert [(line.kind, line.coverage.start.month, line.quantity, line.gross) for line in usage] == [
        (LineKind.USAGE_ADJUSTMENT, 1, D(100), D(0)),  # January's allowance: 900 -> 1000 GB
        (LineKind.USAGE_ADJUSTMENT, 1, D(200), D("10.00")),  # and 200 GB above it
        (LineKind.USAGE, 2, D(50), D(0)),
    ]
    assert statuses(bss) == {"jan-1": "billed", "jan-late": "billed", "feb-1": "billed"}
    with bss.uow() as uow:
        octets = uow.session.scalar(select(func.sum(UsageRow.inbound_octets)))
    every_line = [line for r in (first, second) for b in r.bills for line in b.draft.lines]
    billed = sum(line.quantity for line in every_line if line.kind in (LineKind.USAGE, LineKind.USAGE_ADJUSTMENT))
    assert billed == in_unit(octets, "GB") == 1250
    assert bill(bss, utc(2026, 3, 1, 12), acme).bills == []


def test_concurrent_bill_runs_make_each_invoice_once_with_numbers_without_gaps(any_bss: Bss) -> None:
    bss = any_bss
    accounts = [account(bss, name=f"customer {n}") for n in range(8)]
    for n, acme in enumerate(accounts):
        subscribe(bss, acme, utc(2026, 2, 1 + n, 9))
    errors: list[BaseException] = []

    def runner(which: list[str]) -> None:
        try:
            bill(bss, utc(2026, 3, 2), *which)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(accounts[n % 3 :],)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    with bss.uow() as uow:
        rows = uow.session.execute(select(InvoiceRow.number, InvoiceRow.account_id, InvoiceRow.period_start)).all()
    assert sorted(n for n, _, _ in rows) == [f"INV-2026-{n:06d}" for n in range(1, 17)]
    assert len({(a, p) for _, a, p in rows}) == 16  # February and March of each account, once


def test_usage_octets_become_the_price_unit_exactly() -> None:
    assert in_unit(1_500_000_001 * GB // GB, "GB") == D("1.500000001")
    assert in_unit(2000 * GB, "TB") == D(2) and str(in_unit(200 * GB, "GB")) == "200"
