"""Usage imported as its product is activated, on SQLite and PostgreSQL: the record is guided,
whichever commits first (the activation's guiding of what was kept ``received`` finds it, or the
import reads the product active)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.errors import ConflictError
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.storage.billing_tables import MaintenanceRow, OutageRow, UsageRow

from ..billing_world import account, run, set_clock, subscribe, utc, volume
from ..races import race


def test_usage_imported_while_its_product_is_activated_is_guided(any_bss: Bss) -> None:
    """The activation commits right after the import read the product (not active yet)."""
    bss = any_bss
    acme = account(bss)
    set_clock(bss, utc(2026, 1, 5, 9))
    with bss.uow() as uow:
        customer_id = uow.accounts.get(acme).customer_id  # type: ignore[union-attr]
    item = ItemRequest("1", "add", "bia-100", characteristics=(("site", "customer1"),))
    placed, _ = run(bss, commands.SubmitProductOrder(OrderRequest(customer_id, acme, (item,))))
    run(bss, commands.StartProductOrder(placed.id))
    with bss.uow() as uow:
        sub = uow.orders.get(placed.id).items[0].subscription_id  # type: ignore[union-attr]
    set_clock(bss, utc(2026, 1, 20, 9))
    armed: list[threading.Thread] = []
    errors: list[BaseException] = []

    def activate() -> None:
        try:
            run(bss, commands.CompleteOrderItem(placed.id, "1", utc(2026, 1, 10)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    def activate_now(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not armed and "FROM bss_subscriptions" in statement:  # the import's guiding facts
            armed.append(threading.Thread(target=activate))
            armed[0].start()
            armed[0].join(timeout=0.5)  # done by then, unless it waits for the import

    event.listen(bss.engine, "after_cursor_execute", activate_now)
    try:
        run(bss, bc.ImportUsage((volume("u1", str(sub), utc(2026, 1, 15), 10),)))
    finally:
        event.remove(bss.engine, "after_cursor_execute", activate_now)
    armed[0].join(timeout=30)
    assert not armed[0].is_alive() and not errors
    with bss.uow() as uow:
        assert uow.session.execute(select(UsageRow.status, UsageRow.problem)).all() == [("guided", "")]


def product(bss: Bss) -> str:
    sub = subscribe(bss, account(bss), utc(2026, 1, 5, 9))
    set_clock(bss, utc(2026, 1, 20, 9))
    return sub


# Each recording below looks for the id, then inserts: the ones that lose the race are answered as a
# repeat sent after the first would be (it used to be a database error, a 500 through the API): the
# same outage again updates it, the same window again is the first; other content conflicts.


def test_one_outage_recorded_many_times_at_once_is_stored_once(any_bss: Bss) -> None:
    bss = any_bss
    sub = product(bss)
    for n in range(8):
        start = utc(2026, 1, 10, n)
        outage = bc.RecordOutage(f"out-{n}", sub, start, start + timedelta(minutes=30), "fibre cut")
        results = race(*[lambda outage=outage: run(bss, outage)] * 4)
        assert not [r for r in results if isinstance(r, BaseException)], results
        assert sorted(new for _, new in results) == [False, False, False, True], results
        other = bc.RecordOutage(f"other-{n}", sub, start)
        moved = bc.RecordOutage(f"other-{n}", sub, start + timedelta(hours=1))
        results = race(lambda other=other: run(bss, other), lambda moved=moved: run(bss, moved))
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 1 and isinstance(errors[0], ConflictError), results
        assert f"outage other-{n} was recorded for another product or start" in str(errors[0])
    with bss.uow() as uow:
        outages = uow.session.scalars(select(OutageRow.id).where(OutageRow.subscription_id == sub)).all()
    assert len(outages) == 16


def test_one_maintenance_window_announced_many_times_at_once_is_stored_once(any_bss: Bss) -> None:
    bss = any_bss
    sub = product(bss)
    for n in range(8):
        window = utc(2026, 2, 1 + n, 2)
        announce = bc.RecordMaintenance(f"mw-{n}", window, window + timedelta(hours=2), "upgrade", (sub,))
        results = race(*[lambda announce=announce: run(bss, announce)] * 4)
        assert not [r for r in results if isinstance(r, BaseException)], results
        assert sorted(new for _, new in results) == [False, False, False, True], results
        longer = bc.RecordMaintenance(f"mw2-{n}", window, window + timedelta(hours=3), "upgrade", (sub,))
        shorter = bc.RecordMaintenance(f"mw2-{n}", window, window + timedelta(hours=1), "upgrade", (sub,))
        results = race(lambda longer=longer: run(bss, longer), lambda shorter=shorter: run(bss, shorter))
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 1 and isinstance(errors[0], ConflictError), results
        assert f"maintenance window mw2-{n} exists with other content" in str(errors[0])
    with bss.uow() as uow:
        windows = uow.session.scalars(select(MaintenanceRow.id)).all()
    assert len(windows) == 16


def test_one_usage_batch_imported_many_times_at_once_is_stored_once(any_bss: Bss) -> None:
    """Usage import judged again against the winner (already so): each record stored once, the
    others' reports count it a duplicate, a record with other content a conflict."""
    bss = any_bss
    sub = product(bss)
    for n in range(6):
        records = tuple(volume(f"u-{n}-{k}", sub, utc(2026, 1, 10, k), 1) for k in range(3))
        changed = (*records[:2], volume(f"u-{n}-2", sub, utc(2026, 1, 10, 2), 2))
        results = race(
            *[lambda records=records: run(bss, bc.ImportUsage(records))] * 3,
            lambda changed=changed: run(bss, bc.ImportUsage(changed)),
        )
        assert not [r for r in results if isinstance(r, BaseException)], results
        stored = [i for r in results for i in r.stored]
        assert sorted(stored) == [f"u-{n}-{k}" for k in range(3)], results
        assert sum(len(r.duplicates) + len(r.stored) + len(r.conflicts) for r in results) == 12
        conflicts = [i for r in results for i in r.conflicts]
        assert conflicts == [f"u-{n}-2"] * len(conflicts) and len(conflicts) in (1, 3), results
    with bss.uow() as uow:
        count = len(uow.session.scalars(select(UsageRow.usage_id).where(UsageRow.product_id == sub)).all())
    assert count == 18
