"""Bill runs and customer bills.

A bill run first rates the usage received since the last pass (its own transaction), then bills
accounts in chunks, each chunk one transaction: for every account, every period due by ``as_of``
that has no row in ``bss_bill_cycles`` yet, in order, ``assemble_invoice`` on what storage holds;
an invoice with lines is numbered, stored with its lines, posted to the ledger; the usage groups it
billed are marked; the cycle row is written (even when nothing was owed). The cycle row's primary
key makes a repeated run create nothing, and a concurrent run that lost the race retries its chunk
and finds the periods billed. One account's bad input is reported and skips only that account.

A **preview** runs the same code in one transaction (the rating pass included) and rolls it back:
the drafts it reports are what a run at the same instant on the same data issues.

**Read-ahead.** Each chunk's holdings (``billing_inputs.Holdings``: its accounts, their
subscriptions, and the lines issued to them in the history window known before rating) are read on
a thread of the run's own, in sessions of their own, while the database rates the usage. SQLite and
psycopg release the GIL while the database works, so on two cores that reading is hidden behind the
rating pass; once billing (Python) holds the GIL, a read still under way mostly waits for it, and
the chunk that needs it waits for the rest. At most ``READ_AHEAD`` chunks are read ahead of the one
billed, so a run's memory stays bounded by its chunk size. Billing never changes the accounts and
subscriptions; lines change only with an invoice, which always comes with its cycle row, so an
account whose last billed period moved since is read again, and the lines of a history window the
rating pass widened are read then (``billing_inputs.preload``). The chunk's last billed periods
and pending usage are read in its own transaction, as before. A subscription change committed
after the read-ahead is not on this run's invoice; the cycle row records the subscriptions'
revisions as read (``AccountBook.seen``), so the next run sees the change as one its last bill did
not see and corrects it, whatever instant it took effect (``billing_inputs``: changes the last
bill did not see); likewise the account's tax rate and exemption window (``AccountBook.tax_seen``:
an exemption recorded late). A chunk retried after a conflict reads everything again in its
transaction; so does a run on an in-memory SQLite database. An account's bill cycle day or time zone is checked
again once the chunk holds its accounts: one changed since it was read makes the chunk billed
again, read anew (``_check_cut_as_read``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bss_bridge.domain import billing_commands as commands
from bss_bridge.domain.billing.bill import INVOICE_SERIES, BillState, CustomerBill, document_number
from bss_bridge.domain.billing.cycles import BillingPeriod
from bss_bridge.domain.billing.invoice import InvoiceDraft, assemble_invoice
from bss_bridge.domain.billing.ledger import EntryKind, LedgerEntry
from bss_bridge.domain.errors import BssDomainError, ConflictError, InvalidRequestError, found
from bss_bridge.service_layer.billing_inputs import (
    AccountBook,
    Holdings,
    billing_input,
    books,
    holdings,
    late_outages,
    preload,
    read_ahead,
)
from bss_bridge.service_layer.deps import Deps
from bss_bridge.service_layer.ledger import allocate, credited_accounts
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage.billing_reads import BillingReader
from bss_bridge.storage.billing_repository import (
    LastBill,
    hold_accounts,
    last_cycles,
    ledger_row,
    next_number,
    tax_seen_data,
)
from bss_bridge.storage.billing_tables import BillCycleRow, InvoiceRow, LedgerRow
from bss_bridge.storage.bulk import bulk_insert
from bss_bridge.storage.tables import BillingAccountRow, table_of
from bss_bridge.storage.usage_store import GroupTotal, UsageStore, chunks

logger = logging.getLogger(__name__)
# How far ahead of now a bill run (not a preview) may be asked to bill: the coming period's invoice
# issued early (the demo story and the loop's lab test simulate a month so), never months of
# invoices numbered and dated in periods not begun, which no later run could take back.
AHEAD = timedelta(days=32)
# How far ahead of now a preview may look: a year of invoices. Every period up to then is billed in
# the preview's one transaction, each seeing the lines of those before it: unbounded, one request
# as of 9998 (the latest instant the API takes) billed ~95,000 monthly periods per account, and the
# cost grows with their square (one account, one subscription: 500 years 3.3 s, 1,000 years 12 s).
PREVIEW_AHEAD = timedelta(days=366)
CHUNK = 1000  # accounts per transaction: fewer commits (on SQLite each may checkpoint the WAL) and queries
RETRIES = 5
READ_AHEAD = 2  # chunks whose holdings are read ahead of the one being billed


@dataclass
class AccountBill:
    """What a run did for one account and period: an invoice (or a draft), nothing owed, or an error."""

    account_id: str
    period: BillingPeriod
    draft: InvoiceDraft | None = None
    bill_id: str | None = None
    number: str | None = None
    error: str | None = None


@dataclass
class BillRunReport:
    run_id: str
    as_of: datetime
    preview: bool
    rated_records: int = 0
    rated_groups: int = 0
    bills: list[AccountBill] = field(default_factory=list)

    @property
    def issued(self) -> list[AccountBill]:
        return [b for b in self.bills if b.number is not None]

    @property
    def failed(self) -> list[AccountBill]:
        return [b for b in self.bills if b.error is not None]

    @property
    def unbilled_usage(self) -> list[tuple[str, str]]:
        return [
            (f"{u.key.subscription_id} {u.key.unit} {u.key.period_start}", u.reason)
            for b in self.bills
            if b.draft is not None
            for u in b.draft.usage_unbilled
        ]


Computed = tuple[AccountBook, AccountBill, InvoiceDraft, dict[tuple[str, str, date], GroupTotal]]


@dataclass
class Writes:
    """What a chunk's bills add beside the invoices, written in bulk once the chunk is computed."""

    marks: list[tuple[str, str, date, int, str | None]] = field(default_factory=list)
    cycles: list[dict[str, object]] = field(default_factory=list)
    ledger: list[dict[str, object]] = field(default_factory=list)

    def write(self, uow: UnitOfWork) -> None:
        """Bulk inserts (COPY or executemany, see ``storage.bulk``), no ORM object per row; they are
        in the transaction, so the ledger's allocation below sees the new invoices' entries."""
        bulk_insert(uow.session, table_of(BillCycleRow), self.cycles)
        bulk_insert(uow.session, table_of(LedgerRow), self.ledger)
        UsageStore(uow.session).mark_billed(self.marks)


def _issue(
    uow: UnitOfWork, item: Computed, seq: int | None, as_of: datetime, now: datetime, run_id: str, writes: Writes
) -> CustomerBill | None:
    b, _, draft, groups = item
    account = b.account
    bill = None
    if seq is not None:
        year = b.cycle.local_date(as_of).year
        bill = CustomerBill.issue(
            draft,
            bill_id=document_number(INVOICE_SERIES, year, seq),  # its id is its number: ties sort by it
            seq=seq,
            year=year,
            customer_id=account.customer_id,
            time_zone=account.terms.time_zone,
            bill_date=as_of,
            payment_terms_days=account.terms.payment_terms_days,
            run_id=run_id,
        )
        uow.invoices.add(bill)
        total = draft.totals.total
        if total:
            kind = EntryKind.INVOICE if total > 0 else EntryKind.CREDIT_NOTE
            entry = LedgerEntry(bill.id, kind, abs(total), draft.currency, as_of, bill.due_date if total > 0 else None)
            writes.ledger.append(ledger_row(account.id, entry, now, invoice_id=bill.id, number=bill.number))
    billed = {
        (k.subscription_id, "rate" if k.unit == "Mbit/s" else "volume", k.period_start) for k in draft.usage_billed
    }
    settled = {
        (u.key.subscription_id, "rate" if u.key.unit == "Mbit/s" else "volume", u.key.period_start)
        for u in draft.usage_unbilled
    }  # rated, not chargeable: not re-examined every run
    for key, group in groups.items():
        if group.max_id > group.billed_through and (key in billed or key in settled):  # its records up to max_id
            writes.marks.append((*key, group.max_id, bill.id if bill is not None and key in billed else None))
    writes.cycles.append(
        {
            "account_id": account.id,
            "period_start": draft.period.start,
            "period_end": draft.period.end,
            "invoice_id": bill.id if bill else None,
            "run_id": run_id,
            "billed_at": now,
            "seen": b.seen(),
            "tax_seen": tax_seen_data(b.tax_seen()),
        }
    )
    return bill


class ReadAhead:
    """The chunks' holdings, read in order on one thread, at most ``READ_AHEAD`` chunks ahead of
    the one taken (see the module docstring)."""

    def __init__(self, uow: UnitOfWork, parts: Sequence[Sequence[str]], as_of: datetime) -> None:
        self._sessions = uow.reading_sessions()
        self._as_of = as_of
        self._parts = iter(parts)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bill-run-read-ahead")
        self._ahead: deque[Future[Holdings | None]] = deque()
        for _ in range(READ_AHEAD):
            self._submit()

    def _submit(self) -> None:
        part = next(self._parts, None)
        if part is not None:
            self._ahead.append(self._pool.submit(self._read, list(part)))

    def _read(self, ids: list[str]) -> Holdings | None:
        if self._sessions is None:  # read in the chunk's transaction instead
            return None
        with self._sessions() as session:
            return read_ahead(BillingReader(session), ids, self._as_of)

    def take(self) -> Holdings | None:
        """The next chunk's holdings, waiting for them if need be (None: read them in the chunk's
        transaction); a failed read raises here."""
        future = self._ahead.popleft()
        self._submit()
        return future.result()

    def close(self) -> None:
        for future in self._ahead:
            future.cancel()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _compute(
    uow: UnitOfWork, ids: list[str], as_of: datetime, now: datetime, run_id: str, held: Holdings | None
) -> tuple[list[AccountBill], list[Computed]]:
    """Every due period's draft of these accounts, in order (an account's later period sees the
    lines of its earlier one); an account whose input is refused is reported and skipped. Their
    holdings are read here unless they were read ahead."""
    store, reader = UsageStore(uow.session), BillingReader(uow.session)
    if held is None:
        held = holdings(reader, ids)
    last = last_cycles(uow.session, ids)
    pending = store.pending_since(ids)
    chunk = books(held, last, pending)
    late_outages(reader, chunk)
    pre = preload(reader, store, chunk, as_of, held)
    results: list[AccountBill] = []
    computed: list[Computed] = []
    for b in chunk:
        for period in b.due(as_of):
            result = AccountBill(b.account.id, period)
            results.append(result)
            try:
                given, groups = billing_input(store, b, period, pre)
                result.draft = draft = assemble_invoice(given)
            except BssDomainError as exc:
                result.error = str(exc)
                logger.warning("bill run %s: account %s, %s: %s", run_id, b.account.id, period, exc)
                break
            computed.append((b, result, draft, groups))
            b.issued += draft.lines
            b.last_billed = LastBill(period.start, period.end, now, b.seen(), b.tax_seen())
    return results, computed


class CycleMovedError(ConflictError):
    """An account's bill cycle day or time zone changed after the run read it: its periods were cut
    on what it no longer has."""


def _check_cut_as_read(uow: UnitOfWork, computed: list[Computed]) -> None:
    """Refuse the chunk (it is billed again, read anew) if an account billed has another bill cycle
    day or time zone than the run read. Checked with the accounts held: a change committed before
    is seen here; one after waits for the chunk, then finds the periods billed and is refused
    (``BillingAccount.update``). The run reads accounts without holding them (ahead, on another
    thread), so a change in between would otherwise leave periods cut on the old day."""
    read = {b.account.id: (str(b.account.terms.bill_cycle), b.account.terms.time_zone) for b, *_ in computed}
    row = BillingAccountRow
    for part in chunks(sorted(read)):
        stored = uow.session.execute(select(row.id, row.bill_cycle_day, row.time_zone).where(row.id.in_(part)))
        for account_id, day, zone in stored:
            if read[account_id] != (day, zone):
                raise CycleMovedError(
                    f"billing account {account_id} moved to bill cycle day {day}, time zone {zone} while "
                    f"billed on {read[account_id][0]}, {read[account_id][1]}"
                )


def _bill_chunk(
    uow: UnitOfWork,
    ids: list[str],
    cmd: commands.RunBilling,
    as_of: datetime,
    now: datetime,
    run_id: str,
    held: Holdings | None,
) -> list[AccountBill]:
    results, computed = _compute(uow, ids, as_of, now, run_id, held)
    with_lines = [item for item in computed if item[2].lines]
    years = {item[0].cycle.local_date(as_of).year for item in with_lines}
    if len(years) > 1:  # accounts in zones on both sides of new year: number them one by one
        seqs = [next_number(uow.session, INVOICE_SERIES, item[0].cycle.local_date(as_of).year) for item in with_lines]
    elif with_lines:  # one block of numbers for the chunk, every one of them used below
        last = next_number(uow.session, INVOICE_SERIES, years.pop(), len(with_lines))
        seqs = list(range(last - len(with_lines) + 1, last + 1))
    numbers = iter(seqs if with_lines else [])
    writes = Writes()
    for item in computed:
        bill = _issue(uow, item, next(numbers) if item[2].lines else None, as_of, now, run_id, writes)
        if bill is not None and not cmd.preview:  # a preview's numbers are given back with its rollback
            item[1].bill_id, item[1].number = bill.id, bill.number
    uow.invoices.write_back()  # the ledger's allocation reads them back
    writes.write(uow)
    # the chunk's accounts held, then their credits read once: a payment committed meanwhile is allocated
    # here, one waiting sees the new bills
    hold_accounts(uow.session, ids)
    if not cmd.preview:  # a preview stores nothing
        _check_cut_as_read(uow, computed)
    for account_id in credited_accounts(uow.session, ids):
        allocate(uow, account_id, now)
    return results


def _account_ids(uow: UnitOfWork, wanted: tuple[str, ...] | None) -> list[str]:
    if wanted is not None:
        known = set(uow.session.scalars(select(BillingAccountRow.id).where(BillingAccountRow.id.in_(wanted))))
        if unknown := [a for a in wanted if a not in known]:
            raise InvalidRequestError.one("billingAccount.id", f"no billing account {unknown[0]!r}")
        return sorted(wanted)
    return list(uow.session.scalars(select(BillingAccountRow.id).order_by(BillingAccountRow.id)))


async def run_billing(cmd: commands.RunBilling, uow: UnitOfWork, deps: Deps) -> BillRunReport:
    now = deps.clock()
    as_of = cmd.as_of or now
    limit = PREVIEW_AHEAD if cmd.preview else AHEAD
    if as_of > now + limit:
        what = "a preview bills every period" if cmd.preview else "a bill run bills periods"
        further = "" if cmd.preview else f"; a preview may look up to {PREVIEW_AHEAD.days} days ahead"
        raise InvalidRequestError.one(
            "asOf",
            f"{what} begun by then: at most {limit.days} days ahead of now ({as_of.isoformat()} is later){further}",
        )
    report = BillRunReport(deps.new_id(), as_of, cmd.preview)
    if cmd.preview:
        with uow:
            parts = list(chunks(_account_ids(uow, cmd.account_ids), CHUNK))
            with ReadAhead(uow, parts, as_of) as ahead:  # read while the database rates
                report.rated_records, report.rated_groups = UsageStore(uow.session).rate(now)
                for part in parts:
                    report.bills += _bill_chunk(uow, list(part), cmd, as_of, now, report.run_id, ahead.take())
        return report  # rolled back: nothing stored, no number taken
    with uow:
        parts = list(chunks(_account_ids(uow, cmd.account_ids), CHUNK))
        ahead = ReadAhead(uow, parts, as_of)  # read while the database rates
        try:
            report.rated_records, report.rated_groups = UsageStore(uow.session).rate(now)
            uow.commit()
        except BaseException:
            ahead.close()
            raise
    with ahead:
        for part in parts:
            held: Holdings | None = ahead.take()
            for attempt in range(RETRIES):
                try:
                    with uow:
                        bills = _bill_chunk(uow, list(part), cmd, as_of, now, report.run_id, held)
                        uow.commit()
                    report.bills += bills
                    break
                except (IntegrityError, CycleMovedError):  # a concurrent run billed first, a cycle moved: look again
                    held = None  # everything read again, in the retry's transaction
                    if attempt == RETRIES - 1:
                        raise
    return report


async def change_bill_state(cmd: commands.ChangeBillState, uow: UnitOfWork, deps: Deps) -> CustomerBill:
    try:
        state = BillState(cmd.state)
    except ValueError:
        raise InvalidRequestError.one("state", f"one of {', '.join(s.value for s in BillState)}") from None
    with uow:
        account_id = uow.session.scalar(select(InvoiceRow.account_id).where(InvoiceRow.id == cmd.bill_id))
        hold_accounts(uow.session, [account_id] if account_id else [])  # a payment's allocation waits, or is seen
        bill = found(uow.invoices.get(cmd.bill_id), "customerBill", cmd.bill_id)
        bill.request(state, deps.clock())
        uow.commit()
    return bill


def remaining_total(bills: list[CustomerBill]) -> Decimal:
    return sum((b.remaining for b in bills), Decimal(0))


HANDLERS = {
    commands.RunBilling: run_billing,
    commands.ChangeBillState: change_bill_state,
}
