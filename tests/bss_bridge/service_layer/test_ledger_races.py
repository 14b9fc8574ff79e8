"""The ledger under concurrent requests, on SQLite and PostgreSQL: payments, credit notes, bill runs
and dunning on one account at once, lined up by a barrier, each in its own thread, session and
transaction. After each race what every bill says it is owed is what allocating the whole ledger
gives, and an account paid up is not left suspended."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.billing.bill import BillState
from bss_bridge.domain.billing.ledger import open_invoices
from bss_bridge.domain.billing.lines import LineKind
from bss_bridge.domain.party import AccountState
from bss_bridge.domain.subscription import SubscriptionStatus
from bss_bridge.service_layer.ledger import DUNNING
from bss_bridge.storage.billing_repository import ledger_of
from bss_bridge.storage.billing_tables import LedgerRow, SuspensionRow
from bss_bridge.storage.usage_store import UsageStore, with_status

from ..billing_world import account, bill, run, set_clock, subscribe, utc, volume
from ..races import race

D = Decimal


def assert_allocated(bss: Bss, account_id: str) -> dict[str, Decimal]:
    """Every bill's remaining amount and state are what allocating the account's ledger gives."""
    with bss.uow() as uow:
        expected = open_invoices(ledger_of(uow.session, account_id))
        bills = uow.invoices.of_account(account_id)
        stored = {b.id: b.remaining for b in bills}
        assert stored == {b.id: expected.get(b.id, D(0)) for b in bills}
        for b in bills:
            if b.state is BillState.ON_HOLD:  # a dispute: paid or not, held until released
                assert b.remaining > 0, b.id
            elif b.remaining == 0:
                assert b.state is BillState.SETTLED, b.id
            elif b.remaining < b.totals.total:
                assert b.state is BillState.PARTIALLY_PAID, b.id
            else:
                assert b.state is BillState.VALIDATED, b.id
        return stored


def test_payments_of_one_account_at_once_are_each_allocated(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    bill(bss, utc(2026, 4, 1, 8), acme)  # 213.64 and 47.40
    set_clock(bss, utc(2026, 4, 2, 8))
    for n in range(15):
        pay = [lambda n=n, k=k: run(bss, bc.RecordPayment(f"r{n}-p{k}", acme, D("3.00"), "EUR")) for k in range(3)]
        credit = [lambda n=n: run(bss, bc.IssueCreditNote(f"r{n}-cn", acme, D("1.00"), "goodwill"))]
        assert not [r for r in race(*pay, *credit) if isinstance(r, BaseException)]
        assert sum(assert_allocated(bss, acme).values()) == D("261.04") - (n + 1) * D("10.00")


def test_one_payment_sent_many_times_at_once_counts_once(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    bill(bss, utc(2026, 4, 1, 8), acme)
    set_clock(bss, utc(2026, 4, 2, 8))
    for n in range(15):
        results = race(*[lambda n=n: run(bss, bc.RecordPayment(f"bank-{n}", acme, D("5.00"), "EUR"))] * 4)
        assert not [r for r in results if isinstance(r, BaseException)]
        assert [r.new for r in results].count(True) == 1 and len({r.row.id for r in results}) == 1
    with bss.uow() as uow:
        assert len(list(uow.session.scalars(select(LedgerRow).where(LedgerRow.kind == "payment")))) == 15
    assert sum(assert_allocated(bss, acme).values()) == D("261.04") - 15 * D("5.00")


def test_a_prepayment_racing_the_first_bill_run_pays_the_bill(any_bss: Bss) -> None:
    """The run allocates the credits it sees to the bills it issues, the payment the bills it sees:
    whichever commits last must see the other's."""
    bss = any_bss
    accounts = [account(bss, name=f"customer {n}") for n in range(20)]
    for acme in accounts:
        subscribe(bss, acme, utc(2026, 3, 10, 10))
    for n, acme in enumerate(accounts):
        set_clock(bss, utc(2026, 4, 1, 8))
        results = race(
            lambda acme=acme: bill(bss, utc(2026, 4, 1, 8), acme),
            lambda n=n, acme=acme: run(bss, bc.RecordPayment(f"pre-{n}", acme, D("100.00"), "EUR")),
        )
        assert not [r for r in results if isinstance(r, BaseException)]
        assert sum(assert_allocated(bss, acme).values()) == D("161.04")


def test_a_payment_in_full_racing_the_dunning_run_leaves_the_account_active(any_bss: Bss) -> None:
    """Dunning reads what is overdue, the payment what dunning suspended: an account paid in full
    while the run suspends it must end active, its products too, no dunning suspension open."""
    bss = any_bss
    accounts = [account(bss, name=f"customer {n}") for n in range(12)]
    subs = [subscribe(bss, acme, utc(2026, 3, 10, 10)) for acme in accounts]
    for n, (acme, sub) in enumerate(zip(accounts, subs, strict=True)):
        bill(bss, utc(2026, 4, 1, 8), acme)  # 261.04 due 1 May, overdue from 16 May
        set_clock(bss, utc(2026, 5, 16, 12))
        results = race(
            lambda: run(bss, bc.RunDunning()),
            lambda n=n, acme=acme: run(bss, bc.RecordPayment(f"all-{n}", acme, D("261.04"), "EUR")),
        )
        assert not [r for r in results if isinstance(r, BaseException)]
        assert sum(assert_allocated(bss, acme).values()) == 0
        with bss.uow() as uow:
            assert uow.accounts.get(acme).state is AccountState.ACTIVE  # type: ignore[union-attr]
            assert uow.subscriptions.get(sub).status is SubscriptionStatus.ACTIVE  # type: ignore[union-attr]
            open_rows = select(SuspensionRow).where(SuspensionRow.reason == DUNNING, SuspensionRow.end.is_(None))
            assert list(uow.session.scalars(open_rows)) == []


def test_a_bill_put_on_hold_while_it_is_paid_stays_held_and_paid(any_bss: Bss) -> None:
    """The hold writes the bill's state, the payment's allocation its remaining amount (and state):
    neither may write back the other's row as it read it before."""
    bss = any_bss
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    first = bill(bss, utc(2026, 4, 1, 8), acme).bills[0].bill_id  # 213.64, allocated to first
    set_clock(bss, utc(2026, 4, 2, 8))
    for n in range(15):
        results = race(
            lambda: run(bss, bc.ChangeBillState(first, BillState.ON_HOLD.value)),
            lambda n=n: run(bss, bc.RecordPayment(f"p{n}", acme, D("1.00"), "EUR")),
        )
        assert not [r for r in results if isinstance(r, BaseException)]
        assert assert_allocated(bss, acme)[first] == D("213.64") - (n + 1) * D("1.00")
        with bss.uow() as uow:
            assert uow.invoices.get(first).state is BillState.ON_HOLD  # type: ignore[union-attr]
        run(bss, bc.ChangeBillState(first, BillState.VALIDATED.value))  # released: partially paid
        assert assert_allocated(bss, acme)[first] == D("213.64") - (n + 1) * D("1.00")


def test_usage_imported_while_rating_passes_and_bill_runs_go_is_billed_exactly_once(any_bss: Bss) -> None:
    """Each record is counted once (storage/usage_store.py): whether a bill run's rating pass saw
    it or not, what every invoice billed of an account adds up to what was imported."""
    bss = any_bss
    accounts = [account(bss, name=f"customer {n}") for n in range(8)]
    subs = [subscribe(bss, acme, utc(2026, 1, 5)) for acme in accounts]
    set_clock(bss, utc(2026, 2, 2))
    imported = {acme: 0 for acme in accounts}
    for n, (acme, sub) in enumerate(zip(accounts, subs, strict=True)):
        batches = [
            tuple(volume(f"{n}-{b}-{r}", sub, utc(2026, 1, 10 + b, r), 100 + r) for r in range(5)) for b in range(3)
        ]
        imported[acme] = sum(100 + r for r in range(5)) * 3
        results = race(
            *[lambda batch=batch: run(bss, bc.ImportUsage(batch)) for batch in batches],
            lambda acme=acme: bill(bss, utc(2026, 2, 2), acme),
            lambda: run(bss, bc.RateUsage()),
        )
        assert not [r for r in results if isinstance(r, BaseException)]
    for at in (utc(2026, 3, 2), utc(2026, 4, 2)):  # what came after a bill: adjustments on the next
        bill(bss, at)
    with bss.uow() as uow:
        for acme in accounts:
            lines = [line for b in uow.invoices.of_account(acme) for line in b.lines]
            usage = (LineKind.USAGE, LineKind.USAGE_ADJUSTMENT)
            assert sum(line.quantity for line in lines if line.kind in usage) == imported[acme]
        mark = UsageStore(uow.session).mark()
        statuses = {status for _, status, _, _ in uow.session.execute(with_status(mark))}
    assert statuses == {"billed"}


def test_one_credit_note_sent_many_times_at_once_is_issued_once_and_numbered_without_gaps(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    bill(bss, utc(2026, 4, 1, 8), acme)
    set_clock(bss, utc(2026, 4, 2, 8))
    for n in range(10):
        note = bc.IssueCreditNote(f"cn-{n}", acme, D("2.00"), "goodwill")
        results = race(*[lambda note=note: run(bss, note)] * 4)
        assert not [r for r in results if isinstance(r, BaseException)]
        assert [r.new for r in results].count(True) == 1 and {r.row.number for r in results} == {f"CN-2026-{n + 1:06d}"}
    assert sum(assert_allocated(bss, acme).values()) == D("261.04") - 10 * D("2.00")
