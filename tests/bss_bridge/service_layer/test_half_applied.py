"""A request that fails between two of its writes stores nothing of them (its unit of work rolls
back), on SQLite and PostgreSQL; the same request again then does all of it once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.service_layer import billing_handlers, payment_handlers
from bss_bridge.storage.billing_tables import (
    BillCycleRow,
    DocumentSequenceRow,
    InvoiceRow,
    LedgerRow,
    UsageGroupRow,
)
from bss_bridge.storage.order_repository import SubscriptionRepository
from bss_bridge.storage.tables import OrderRow, SubscriptionRow

from ..billing_world import account, bill, run, set_clock, subscribe, utc, volume
from .test_ledger_races import assert_allocated

D = Decimal


class KilledError(Exception):
    """The injected failure."""


def kill(*_: Any, **__: Any) -> Any:
    raise KilledError


def counts(bss: Bss, *tables: type[Any]) -> list[int]:
    with bss.uow() as uow:
        return [int(uow.session.scalar(select(func.count()).select_from(t)) or 0) for t in tables]


def test_a_payment_failing_after_its_ledger_row_and_allocation_stores_neither(
    any_bss: Bss, monkeypatch: pytest.MonkeyPatch
) -> None:
    bss = any_bss
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    bill(bss, utc(2026, 4, 1, 8), acme)
    set_clock(bss, utc(2026, 4, 2, 8))
    with monkeypatch.context() as m:
        m.setattr(payment_handlers, "dun", kill)  # after the row is flushed and the bills allocated
        with pytest.raises(KilledError):
            run(bss, bc.RecordPayment("bank-1", acme, D("100.00"), "EUR"))
        with pytest.raises(KilledError):
            run(bss, bc.IssueCreditNote("cn-1", acme, D("1.00"), "goodwill"))
    assert counts(bss, LedgerRow) == [2]  # the two invoices
    assert sum(assert_allocated(bss, acme).values()) == D("261.04")
    with bss.uow() as uow:  # the credit note's number was given back
        assert not uow.session.scalars(select(DocumentSequenceRow.last).where(DocumentSequenceRow.series == "CN")).all()
    assert run(bss, bc.RecordPayment("bank-1", acme, D("100.00"), "EUR")).new
    assert run(bss, bc.IssueCreditNote("cn-1", acme, D("1.00"), "goodwill")).row.number == "CN-2026-000001"
    assert sum(assert_allocated(bss, acme).values()) == D("160.04")


def test_a_bill_run_failing_after_its_invoices_are_written_stores_none_and_takes_no_number(
    any_bss: Bss, monkeypatch: pytest.MonkeyPatch
) -> None:
    bss = any_bss
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 1, 5))
    run(bss, bc.ImportUsage((volume("jan-1", sub, utc(2026, 1, 20), 1200),)))
    set_clock(bss, utc(2026, 1, 25))
    run(bss, bc.RecordPayment("pre-1", acme, D("50.00"), "EUR"))
    with monkeypatch.context() as m:
        m.setattr(billing_handlers, "allocate", kill)  # invoices, lines, cycles, ledger and marks written
        with pytest.raises(KilledError):
            bill(bss, utc(2026, 2, 2), acme)
    assert counts(bss, InvoiceRow, BillCycleRow) == [0, 0]
    with bss.uow() as uow:
        assert list(uow.session.scalars(select(UsageGroupRow.billed_through))) == [0]
    issued = bill(bss, utc(2026, 2, 2), acme)
    assert [b.number for b in issued.bills] == ["INV-2026-000001", "INV-2026-000002"]
    assert sum(assert_allocated(bss, acme).values()) == sum(b.draft.totals.total for b in issued.bills) - D(50)


def test_an_order_failing_between_its_order_and_its_products_stores_neither(
    any_bss: Bss, monkeypatch: pytest.MonkeyPatch
) -> None:
    bss = any_bss
    acme = account(bss)
    set_clock(bss, utc(2026, 3, 1, 9))
    with bss.uow() as uow:
        customer_id = uow.accounts.get(acme).customer_id  # type: ignore[union-attr]
    item = ItemRequest("1", "add", "bia-100", characteristics=(("site", "customer1"),))
    request = OrderRequest(customer_id, acme, (item,), external_id="crm-1")
    with monkeypatch.context() as m:
        m.setattr(SubscriptionRepository, "write_back", kill)  # the order's rows flushed before
        with pytest.raises(KilledError):
            run(bss, commands.SubmitProductOrder(request))
    assert counts(bss, OrderRow, SubscriptionRow) == [0, 0]
    _, new = run(bss, commands.SubmitProductOrder(request))
    assert new and counts(bss, OrderRow, SubscriptionRow) == [1, 1]
