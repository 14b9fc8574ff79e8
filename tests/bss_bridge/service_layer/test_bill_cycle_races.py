"""An account's bill cycle day changed while a bill run bills it, on SQLite and PostgreSQL. Once a
period is billed the day is fixed (``BillingAccount.update``); whichever commits first, the account's
billed periods are cut on the day it has: the change refused as billed through, or the run billing
on the new day."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import event, select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.errors import ConflictError
from bss_bridge.domain.party import BillCycle
from bss_bridge.storage.billing_tables import BillCycleRow

from ..billing_world import account, run, set_clock, subscribe, utc
from ..races import race
from .test_order_races import refused

ACCOUNTS_READ = "SELECT bss_billing_accounts."  # with the terms: not the run's list of ids, not a hold


def move_to_the_15th(bss: Bss, account_id: str) -> Any:
    return run(bss, commands.UpdateBillingAccount(account_id, terms={"bill_cycle": BillCycle(15)}))


def assert_cut_on_its_day(bss: Bss, account_id: str, results: list[Any]) -> None:
    """The run billed; the change refused as billed through, or made and the periods cut on the 15th."""
    run_result, change = results
    assert not isinstance(run_result, BaseException), run_result
    assert len(refused(results)) <= 1
    if isinstance(change, BaseException):
        assert isinstance(change, ConflictError) and "billed through" in str(change), change
    with bss.uow() as uow:
        day = uow.accounts.get(account_id).terms.bill_cycle.day  # type: ignore[union-attr]
        cut = uow.session.execute(
            select(BillCycleRow.period_start, BillCycleRow.period_end).where(BillCycleRow.account_id == account_id)
        ).all()
    assert day == (1 if isinstance(change, BaseException) else 15)
    assert cut and all(start.day == day and end.day == day for start, end in cut), (day, cut)


def test_a_bill_cycle_day_changed_while_a_run_bills_the_account_cuts_its_periods_on_one_day(any_bss: Bss) -> None:
    bss = any_bss
    for n in range(8):
        acme = account(bss, name=f"ACME {n}")
        subscribe(bss, acme, utc(2026, 3, 10, 10))
        set_clock(bss, utc(2026, 4, 20, 8))
        results = race(
            lambda acme=acme: run(bss, bc.RunBilling(utc(2026, 4, 20, 8), (acme,))),
            lambda acme=acme: move_to_the_15th(bss, acme),
        )
        assert_cut_on_its_day(bss, acme, results)


def test_a_bill_cycle_day_changed_just_after_the_run_read_the_account_is_billed_on(any_bss: Bss) -> None:
    """The worst moment: the run had read the account's terms (day 1). The change used to commit,
    finding nothing billed, and the run then billed periods cut on the 1st of an account on the 15th."""
    bss = any_bss
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    set_clock(bss, utc(2026, 4, 20, 8))
    changed: list[Any] = [None]

    def change() -> None:
        try:
            changed[0] = move_to_the_15th(bss, acme)
        except Exception as exc:  # returned to the test, which says what it expects
            changed[0] = exc

    thread = threading.Thread(target=change)
    armed = threading.Lock()

    def change_now(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(ACCOUNTS_READ) and "bill_cycle_day" in statement and armed.acquire(blocking=False):
            thread.start()
            thread.join(timeout=1)

    event.listen(bss.engine, "after_cursor_execute", change_now)
    try:
        billed: Any = run(bss, bc.RunBilling(utc(2026, 4, 20, 8), (acme,)))
    finally:
        event.remove(bss.engine, "after_cursor_execute", change_now)
    thread.join(timeout=60)
    assert armed.locked() and not thread.is_alive() and changed[0] is not None
    assert_cut_on_its_day(bss, acme, [billed, changed[0]])
