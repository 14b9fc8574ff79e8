"""Bill runs through the service layer, on SQLite and a real PostgreSQL: the first invoices of a
subscription, a preview that is the invoice, a repeated run that makes nothing, late usage billed
once as an adjustment, and invoice numbers without gaps under concurrent runs."""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.billing.lines import LineKind
from bss_bridge.domain.billing.metering import in_unit
from bss_bridge.service_layer import billing_handlers
from bss_bridge.service_layer.billing_inputs import Holdings, Preloaded, books, history_start, preload, read_ahead
from bss_bridge.storage.billing_reads import BillingReader
from bss_bridge.storage.billing_repository import last_cycles
from bss_bridge.storage.billing_tables import BillCycleRow, InvoiceRow, UsageRow
from bss_bridge.storage.usage_store import UsageStore, with_status

from ..billing_world import GB, account, bill, run, subscribe, utc, volume

D = Decimal



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
            "bia-100, monthly 2026-03-10 – 2026-03-31, 22 of 31 days, launch",
            D("56.06"),
            D("28.03"),
            D("5.61"),
        ),
        (
            "usageCharge",
            "bia-100, traffic 2026-03-01 – 2026-03-31: 1000 of 1000 GB included",
            D("0.00"),
            D("0.00"),
            D("0.00"),
        ),
        ("usageCharge", "bia-100, traffic 2026-03-01 – 2026-03-31: 200 GB at 0.05", D("10.00"), D("0.00"), D("2.00")),
        ("recurringCharge", "bia-100, monthly 2026-04-01 – 2026-04-30, launch", D("79.00"), D("39.50"), D("7.90")),
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


def test_a_run_of_several_chunks_reads_their_holdings_ahead_on_its_thread_and_bills_as_reading_in_place(
    any_bss: Bss, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of two accounts: each chunk's accounts and subscriptions are read on the read-ahead
    thread, at most READ_AHEAD chunks ahead of the one billed, and the invoices are the ones a run
    reading everything in its chunks' transactions makes (its preview, with the read-ahead off)."""
    bss = any_bss
    accounts = [account(bss, name=f"customer {n}") for n in range(5)]
    for n, acme in enumerate(accounts):
        sub = subscribe(bss, acme, utc(2026, 2, 1 + n, 9))
        run(bss, bc.ImportUsage((volume(f"u{n}", sub, utc(2026, 2, 10), 100 + n),)))
    monkeypatch.setattr(billing_handlers, "CHUNK", 2)
    with monkeypatch.context() as off:
        off.setattr(billing_handlers.ReadAhead, "_read", lambda self, ids: None)
        in_place = bill(bss, utc(2026, 3, 2), preview=True)
    reads: list[tuple[str, list[str], int]] = []  # thread, accounts, chunks taken when it began
    taken: list[int] = []
    billed: list[list[str]] = []
    read, take, compute = billing_handlers.read_ahead, billing_handlers.ReadAhead.take, billing_handlers._compute

    def spy_read(reader: object, ids: list[str], as_of: datetime) -> Holdings:
        reads.append((threading.current_thread().name, list(ids), len(taken)))
        return read(reader, ids, as_of)  # type: ignore[arg-type]

    def spy_take(self: billing_handlers.ReadAhead) -> Holdings | None:
        taken.append(1)
        return take(self)

    def spy_compute(uow: object, ids: list[str], *rest: object) -> object:
        billed.append(list(ids))
        return compute(uow, ids, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(billing_handlers, "read_ahead", spy_read)
    monkeypatch.setattr(billing_handlers.ReadAhead, "take", spy_take)
    monkeypatch.setattr(billing_handlers, "_compute", spy_compute)
    report = bill(bss, utc(2026, 3, 2))
    chunks = [sorted(accounts)[n : n + 2] for n in range(0, 5, 2)]
    assert billed == chunks
    assert [ids for _, ids, _ in reads] == chunks
    assert {name.rsplit("_", 1)[0] for name, _, _ in reads} == {"bill-run-read-ahead"}
    assert [n <= before + billing_handlers.READ_AHEAD for n, (_, _, before) in enumerate(reads, 1)] == [True] * 3
    assert lines_of(report) == lines_of(in_place) and len(report.issued) == 10 and not report.failed


def _preloaded(bss: Bss, acme: str, as_of: datetime, held: Holdings | None) -> tuple[Preloaded, date]:
    """What a chunk of one account preloads, rating first as a run does; and its history window's start."""
    with bss.uow() as uow:
        store, reader = UsageStore(uow.session), BillingReader(uow.session)
        store.rate(as_of)
        fresh = read_ahead(reader, [acme], as_of)
        chunk = books(fresh, last_cycles(uow.session, [acme]), store.pending_since([acme]))
        pre = preload(reader, store, chunk, as_of, held)
        return pre, min(history_start(b, b.due(as_of)[0]) for b in chunk)


def _issued(pre: Preloaded) -> dict[str, list[str]]:
    return {a: sorted(map(repr, lines)) for a, lines in pre.lines.items()}


def test_lines_read_ahead_are_completed_when_rating_widens_the_window_or_an_invoice_was_issued_since(
    any_bss: Bss,
) -> None:
    """The read-ahead reads lines in the window known before rating; late usage widens it (the
    earlier lines are read then), and an invoice issued in between makes them read again: either
    way a chunk preloads the lines it would have read in its own transaction."""
    bss = any_bss
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 1, 5))
    bill(bss, utc(2026, 3, 1, 12), acme)  # January to March
    run(bss, bc.ImportUsage((volume("jan-late", sub, utc(2026, 1, 30), 300),)))  # rated by the next run
    may, april = utc(2026, 5, 1, 12), utc(2026, 4, 1, 12)
    with bss.uow() as uow:
        held = read_ahead(BillingReader(uow.session), [acme], may)  # April and May due: from March
    assert held.lines_since == date(2026, 3, 1) and held.last_billed is not None
    in_place, since = _preloaded(bss, acme, may, None)
    assert since == date(2026, 1, 1)  # January's late usage widens the window
    ahead, _ = _preloaded(bss, acme, may, held)
    assert _issued(ahead) == _issued(in_place) and sum(map(len, in_place.lines.values())) > 0
    assert len(ahead.lines[acme]) > len(held.lines[acme])  # January and February's lines were added
    bill(bss, april, acme)  # another run issues April's invoice after the read-ahead
    in_place, since = _preloaded(bss, acme, may, None)
    ahead, _ = _preloaded(bss, acme, may, held)
    assert _issued(ahead) == _issued(in_place)
    assert any(line.coverage.start == date(2026, 4, 1) for line in ahead.lines[acme])  # read again


def test_a_failed_read_ahead_fails_the_run_before_its_chunk_and_the_next_run_bills_it(
    any_bss: Bss, monkeypatch: pytest.MonkeyPatch
) -> None:
    bss = any_bss
    accounts = [account(bss, name=f"customer {n}") for n in range(3)]
    for n, acme in enumerate(accounts):
        subscribe(bss, acme, utc(2026, 2, 1 + n, 9))
    monkeypatch.setattr(billing_handlers, "CHUNK", 2)
    read, last = billing_handlers.read_ahead, sorted(accounts)[2]  # the second chunk's one account

    def failing(reader: BillingReader, ids: list[str], as_of: datetime) -> Holdings:
        if last in ids:
            raise RuntimeError("the read-ahead lost its connection")
        return read(reader, ids, as_of)

    monkeypatch.setattr(billing_handlers, "read_ahead", failing)
    with pytest.raises(RuntimeError, match="lost its connection"):
        bill(bss, utc(2026, 3, 2))
    with bss.uow() as uow:  # the first chunk was billed; the second was not begun
        billed = set(uow.session.scalars(select(BillCycleRow.account_id)))
    assert billed == set(sorted(accounts)[:2])
    monkeypatch.setattr(billing_handlers, "read_ahead", read)
    again = bill(bss, utc(2026, 3, 2))
    assert {b.account_id for b in again.issued} == {last} and len(again.issued) == 2
