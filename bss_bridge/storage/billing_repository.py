"""Invoices, their lines, bill cycles, document numbers and the ledger in the database.

New invoices are written with bulk Core inserts (a bill run issues thousands); an invoice loaded
and changed (its state, what remains owed) is updated in place. Lines are never updated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bss_bridge.domain import codec
from bss_bridge.domain.billing.bill import BillState, CustomerBill
from bss_bridge.domain.billing.cycles import BillingPeriod
from bss_bridge.domain.billing.ledger import EntryKind, LedgerEntry
from bss_bridge.domain.billing.lines import InvoiceLine, LineKind, Totals
from bss_bridge.domain.events import Event
from bss_bridge.domain.pricing import Promotion
from bss_bridge.domain.window import Window
from bss_bridge.storage.billing_tables import (
    BillCycleRow,
    DocumentSequenceRow,
    InvoiceLineRow,
    InvoiceRow,
    LedgerRow,
)
from bss_bridge.storage.bulk import bulk_insert
from bss_bridge.storage.holds import hold_rows
from bss_bridge.storage.mapping import instant_from_data, instant_to_data
from bss_bridge.storage.tables import BillingAccountRow, table_of
from bss_bridge.storage.usage_store import chunks


def next_number(session: Session, series: str, year: int, count: int = 1) -> int:
    """The next ``count`` numbers of ``series`` in ``year`` (the last of them is returned), taken in
    the caller's transaction (gapless: a rollback gives them back; concurrent transactions queue on
    the sequence's row). The caller uses every one of them."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(DocumentSequenceRow).values(series=series, year=year, last=0).on_conflict_do_nothing()
    )
    statement = (
        update(DocumentSequenceRow)
        .where(DocumentSequenceRow.series == series, DocumentSequenceRow.year == year)
        .values(last=DocumentSequenceRow.last + count)
        .returning(DocumentSequenceRow.last)
    )
    return int(session.execute(statement).scalar_one())


def hold_accounts(session: Session, account_ids: Sequence[str]) -> None:
    """Hold the accounts until the caller's transaction ends. What allocates an account's ledger to
    its bills or suspends and resumes it (a payment, a credit note, a bill run's allocation, a
    dunning step, a bill put on hold) holds the account before it reads any of that, so two of them
    on one account queue and the second reads what the first wrote: each computes from a snapshot,
    and two at once would each write back what the other did not see (a payment's allocation lost,
    a paid-up account suspended). PostgreSQL: ``SELECT ... FOR UPDATE`` in id order (two holders
    of several accounts never wait on each other in a circle), the reads after it see what the
    previous holder committed (READ COMMITTED); SQLite: a write that changes nothing, which makes
    the transaction the database's one writer before it reads anything."""
    hold_rows(session, BillingAccountRow, BillingAccountRow.state, account_ids)


def _promotion_data(promotion: Promotion | None) -> dict[str, Any] | None:
    if promotion is None:
        return None
    return _data_of_promotion(promotion)


@lru_cache(maxsize=1024)  # a bill run writes the same few promotions on thousands of lines; read-only
def _data_of_promotion(promotion: Promotion) -> dict[str, Any]:
    return {"name": promotion.name, **codec.term_to_data(promotion)["promotion"]}


def _promotion(data: dict[str, Any] | None) -> Promotion | None:
    if data is None:
        return None
    return _promotion_of(tuple(sorted(data.items())))


@lru_cache(maxsize=1024)  # a bill run reads the same few promotions on thousands of lines; they are frozen
def _promotion_of(items: tuple[tuple[str, Any], ...]) -> Promotion:
    data = dict(items)
    term = codec.term_from_data({"promotion": {k: v for k, v in data.items() if k != "name"}}, "", data["name"])
    assert isinstance(term, Promotion)
    return term


def line_row(bill: CustomerBill, position: int, line: InvoiceLine) -> dict[str, Any]:
    return {
        "id": f"{bill.id}-{position + 1}",
        "invoice_id": bill.id,
        "account_id": bill.account_id,
        "position": position,
        "kind": line.kind.value,
        "description": line.description,
        "coverage_start": line.coverage.start,
        "coverage_end": line.coverage.end,
        "coverage_starts_at": line.coverage.starts_at,
        "coverage_ends_at": line.coverage.ends_at,
        "quantity": line.quantity,
        "unit": line.unit,
        "unit_price": line.unit_price,
        "gross": line.gross,
        "discount": line.discount,
        "amount": line.amount,
        "tax_rate": line.tax_rate,
        "tax": line.tax,
        "subscription_id": line.subscription_id,
        "product": line.product,
        "price_name": line.price_name,
        "part": line.part,
        "period_days": line.period_days,
        "promotion": _promotion_data(line.promotion),
        "reference": line.reference,
    }


def line_of(row: Any, currency: str) -> InvoiceLine:
    """A line from its row (the ORM's, or a Core row of ``bss_invoice_lines``)."""
    return InvoiceLine(
        kind=LineKind(row.kind),
        description=row.description,
        coverage=BillingPeriod(row.coverage_start, row.coverage_end, row.coverage_starts_at, row.coverage_ends_at),
        quantity=row.quantity,
        unit=row.unit,
        unit_price=row.unit_price,
        gross=row.gross,
        discount=row.discount,
        subscription_id=row.subscription_id,
        product=row.product,
        price_name=row.price_name,
        part=row.part,
        period_days=row.period_days,
        promotion=_promotion(row.promotion),
        reference=row.reference,
        currency=currency,
        amount=row.amount,
        tax_rate=row.tax_rate,
        tax=row.tax,
    )


def _bill_row(b: CustomerBill) -> dict[str, Any]:
    t = b.totals
    return {
        "id": b.id,
        "number": b.number,
        "series": b.number.split("-")[0],
        "year": b.year,
        "seq": b.seq,
        "account_id": b.account_id,
        "customer_id": b.customer_id,
        "currency": b.currency,
        "time_zone": b.time_zone,
        "period_start": b.period.start,
        "period_end": b.period.end,
        "starts_at": b.period.starts_at,
        "ends_at": b.period.ends_at,
        "bill_date": b.bill_date,
        "due_date": b.due_date,
        "state": b.state.value,
        "held_from": b.held_from.value if b.held_from else None,
        "gross": t.gross,
        "discount": t.discount,
        "subtotal": t.subtotal,
        "tax": t.tax,
        "total": t.total,
        "remaining": b.remaining,
        "tax_exemption": b.tax_exemption,
        "run_id": b.run_id,
        "updated_at": b.updated_at,
    }


def _mutable(bill: CustomerBill) -> tuple[object, ...]:
    return (bill.state, bill.held_from, bill.remaining, bill.updated_at)


class InvoiceRepository:
    """Customer bills by id, with an identity map; new ones bulk-inserted at commit."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._seen: dict[str, CustomerBill] = {}
        self._new: list[CustomerBill] = []
        self._stored: dict[str, tuple[object, ...]] = {}  # what the row holds of what may change

    def _load(self, row: InvoiceRow, lines: Sequence[InvoiceLineRow]) -> CustomerBill:
        if row.id in self._seen:
            return self._seen[row.id]
        bill = CustomerBill(
            row.id,
            row.number,
            row.year,
            row.seq,
            row.account_id,
            row.customer_id,
            row.currency,
            row.time_zone,
            BillingPeriod(row.period_start, row.period_end, row.starts_at, row.ends_at),
            row.bill_date,
            row.due_date,
            tuple(line_of(line, row.currency) for line in lines),
            Totals(row.gross, row.discount, row.subtotal, row.tax, row.total),
            row.tax_exemption,
            BillState(row.state),
            row.remaining,
            row.run_id,
            row.updated_at,
            BillState(row.held_from) if row.held_from else None,
        )
        self._seen[row.id] = bill
        self._stored[row.id] = _mutable(bill)
        return bill

    def _lines(self, ids: Sequence[str]) -> dict[str, list[InvoiceLineRow]]:
        found: dict[str, list[InvoiceLineRow]] = {i: [] for i in ids}
        for part in chunks(list(ids)):
            query = select(InvoiceLineRow).where(InvoiceLineRow.invoice_id.in_(part)).order_by(InvoiceLineRow.position)
            for line in self.session.scalars(query):
                found[line.invoice_id].append(line)
        return found

    def _rows(self, query: Any) -> list[CustomerBill]:
        rows = list(self.session.scalars(query))
        lines = self._lines([r.id for r in rows if r.id not in self._seen])
        return [self._load(r, lines.get(r.id, [])) for r in rows]

    def get(self, key: str) -> CustomerBill | None:
        if key in self._seen:
            return self._seen[key]
        found = self._rows(select(InvoiceRow).where(InvoiceRow.id == key))
        return found[0] if found else None

    def get_many(self, keys: Sequence[str]) -> dict[str, CustomerBill]:
        wanted = [k for k in keys if k not in self._seen]
        for part in chunks(wanted):
            self._rows(select(InvoiceRow).where(InvoiceRow.id.in_(part)))
        return {k: self._seen[k] for k in keys if k in self._seen}

    def of_account(self, account_id: str) -> list[CustomerBill]:
        return self._rows(select(InvoiceRow).where(InvoiceRow.account_id == account_id).order_by(InvoiceRow.bill_date))

    def list(self, filters: Any, offset: int = 0, limit: int | None = None) -> tuple[list[CustomerBill], int]:
        query = select(InvoiceRow)
        for condition in filters:
            query = query.where(condition)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        query = query.order_by(InvoiceRow.bill_date, InvoiceRow.number).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return self._rows(query), int(total)

    def add(self, bill: CustomerBill) -> None:
        self._seen[bill.id] = bill
        self._new.append(bill)

    def write_back(self) -> None:
        if self._new:
            bulk_insert(self.session, table_of(InvoiceRow), [_bill_row(b) for b in self._new])
            lines = [line_row(b, n, line) for b in self._new for n, line in enumerate(b.lines)]
            bulk_insert(self.session, table_of(InvoiceLineRow), lines)
            self._stored.update({b.id: _mutable(b) for b in self._new})
            self._new.clear()
        for bill in self._seen.values():
            if self._stored.get(bill.id) != _mutable(bill):
                self.session.execute(
                    update(InvoiceRow)
                    .where(InvoiceRow.id == bill.id)
                    .values(
                        state=bill.state.value,
                        held_from=bill.held_from.value if bill.held_from else None,
                        remaining=bill.remaining,
                        updated_at=bill.updated_at,
                    )
                )
                self._stored[bill.id] = _mutable(bill)

    def collect_events(self) -> Iterator[Event]:
        for bill in self._seen.values():
            while bill.events:
                yield bill.events.pop(0)


class TaxSeen(NamedTuple):
    """An account's tax rate and exemption window (None: no exemption) as a bill read them."""

    rate: Decimal
    exempt: Window | None


def tax_seen_data(seen: TaxSeen) -> dict[str, Any]:
    window = seen.exempt
    exempt = None
    if window is not None:
        exempt = {"start": instant_to_data(window.start), "end": instant_to_data(window.end)}
    return {"rate": str(seen.rate), "exempt": exempt}


def tax_seen_of(data: dict[str, Any] | None) -> TaxSeen | None:
    if data is None:
        return None
    exempt = data["exempt"]
    window = None
    if exempt is not None:
        window = Window(instant_from_data(exempt["start"]), instant_from_data(exempt["end"]))
    return TaxSeen(Decimal(data["rate"]), window)


class LastBill(NamedTuple):
    """An account's last billed period, when it was billed, the revisions of the subscriptions
    that bill saw (``BillCycleRow.seen``; None: billed before revisions were kept) and the tax it
    read (``BillCycleRow.tax_seen``; None: billed before that was kept)."""

    start: date
    end: date
    billed_at: datetime
    seen: dict[str, int] | None
    tax_seen: TaxSeen | None = None


def last_cycles(session: Session, account_ids: Sequence[str]) -> dict[str, LastBill]:
    """Per account, its last bill."""
    found: dict[str, LastBill] = {}
    for part in chunks(list(account_ids)):
        latest = (
            select(BillCycleRow.account_id, func.max(BillCycleRow.period_start).label("start"))
            .where(BillCycleRow.account_id.in_(part))
            .group_by(BillCycleRow.account_id)
            .subquery()
        )
        query = select(BillCycleRow).join(
            latest, (latest.c.account_id == BillCycleRow.account_id) & (latest.c.start == BillCycleRow.period_start)
        )
        found.update(
            {
                r.account_id: LastBill(r.period_start, r.period_end, r.billed_at, r.seen, tax_seen_of(r.tax_seen))
                for r in session.scalars(query)
            }
        )
    return found


def ledger_of(session: Session, account_id: str) -> tuple[LedgerEntry, ...]:
    rows = session.scalars(select(LedgerRow).where(LedgerRow.account_id == account_id).order_by(LedgerRow.id))
    return tuple(LedgerEntry(r.key, EntryKind(r.kind), r.amount, r.currency, r.at, r.due) for r in rows)


def ledger_row(account_id: str, entry: LedgerEntry, now: datetime, **extra: Any) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "kind": entry.kind.value,
        "key": entry.id,
        "amount": entry.amount,
        "currency": entry.currency,
        "at": entry.at,
        "due": entry.due,
        "created_at": now,
        "number": None,
        "invoice_id": None,
        "details": {},
        **extra,
    }
