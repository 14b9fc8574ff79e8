"""Payments, credit notes, dunning and SLA credits through the service layer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.billing.bill import BillState
from bss_bridge.domain.billing.lines import LineKind
from bss_bridge.domain.errors import ConflictError, InvalidRequestError
from bss_bridge.domain.party import AccountState
from bss_bridge.domain.subscription import SubscriptionStatus
from bss_bridge.storage.billing_tables import LedgerRow, MaintenanceRow

from ..billing_world import account, bill, run, set_clock, subscribe, utc

D = Decimal


def states(bss: Bss, account_id: str) -> list[tuple[str, BillState, Decimal]]:
    with bss.uow() as uow:
        return [(b.number, b.state, b.remaining) for b in uow.invoices.of_account(account_id)]


def product(bss: Bss, sub: str) -> SubscriptionStatus:
    with bss.uow() as uow:
        found = uow.subscriptions.get(sub)
        assert found is not None
        return found.status


def test_an_overdue_invoice_suspends_the_account_and_its_payment_resumes_it(bss: Bss) -> None:
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 10, 10))
    bill(bss, utc(2026, 4, 1, 8), acme)  # 213.64 and 47.40, due 1 May (30 days)
    set_clock(bss, utc(2026, 5, 15, 12))
    assert run(bss, bc.RunDunning()) == {}  # due 1 May + 14 days of grace: not yet
    set_clock(bss, utc(2026, 5, 16, 12))
    assert run(bss, bc.RunDunning()) == {acme: "suspended 1 product(s): INV-2026-000001, INV-2026-000002 overdue"}
    assert product(bss, sub) is SubscriptionStatus.SUSPENDED
    with bss.uow() as uow:
        assert uow.accounts.get(acme).state is AccountState.SUSPENDED  # type: ignore[union-attr]
    note = [n for n in bss.hub.events("tmf637") if n["eventType"] == "ProductStateChangeEvent"][-1]
    assert note["event"]["product"]["status"] == "suspended"  # what the bridge carries to the network
    assert note["eventTime"] == "2026-05-16T12:00:00Z"  # the BSS's clock, not the machine's

    paid = run(bss, bc.RecordPayment("bank-0001", acme, D("213.64"), "EUR", method="bank transfer"))
    assert paid.new and states(bss, acme) == [
        ("INV-2026-000001", BillState.SETTLED, D("0")),
        ("INV-2026-000002", BillState.VALIDATED, D("47.40")),
    ]
    assert product(bss, sub) is SubscriptionStatus.SUSPENDED  # the second is still overdue
    run(bss, bc.RecordPayment("bank-0002", acme, D("20.00"), "EUR"))
    assert states(bss, acme)[1] == ("INV-2026-000002", BillState.PARTIALLY_PAID, D("27.40"))
    again = run(bss, bc.RecordPayment("bank-0002", acme, D("20.00"), "EUR"))  # a retry counts once
    assert not again.new and states(bss, acme)[1][2] == D("27.40")
    with pytest.raises(ConflictError, match="bank-0002"):
        run(bss, bc.RecordPayment("bank-0002", acme, D("27.40"), "EUR"))
    credit = run(bss, bc.IssueCreditNote("goodwill-1", acme, D("27.40"), "outage goodwill"))
    assert credit.row.number == "CN-2026-000001"
    assert states(bss, acme)[1] == ("INV-2026-000002", BillState.SETTLED, D("0"))
    assert product(bss, sub) is SubscriptionStatus.ACTIVE
    with bss.uow() as uow:
        assert uow.accounts.get(acme).state is AccountState.ACTIVE  # type: ignore[union-attr]


def test_a_disputed_invoice_does_not_suspend_and_bad_payments_are_refused(bss: Bss) -> None:
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 10, 10))
    report = bill(bss, utc(2026, 3, 20), acme)
    run(bss, bc.ChangeBillState(report.issued[0].bill_id, "onHold"))
    set_clock(bss, utc(2026, 6, 1))
    assert run(bss, bc.RunDunning()) == {} and product(bss, sub) is SubscriptionStatus.ACTIVE
    with pytest.raises(InvalidRequestError, match=r"totalAmount\.unit"):
        run(bss, bc.RecordPayment("p1", acme, D(10), "USD"))
    with pytest.raises(InvalidRequestError, match="whole EUR minor units"):
        run(bss, bc.RecordPayment("p2", acme, D("10.001"), "EUR"))
    with pytest.raises(InvalidRequestError, match="future"):
        run(bss, bc.RecordPayment("p3", acme, D(10), "EUR", paid_at=utc(2026, 7, 1)))


def test_an_outage_earns_the_sla_credit_on_the_next_invoice_with_the_measured_availability(bss: Bss) -> None:
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 1, 1, 9))  # bia-100: SLA 99.9 %, credit 25 % below 99 %
    bill(bss, utc(2026, 3, 1, 8), acme)  # January, February, March issued
    run(bss, bc.RecordOutage("ticket-7", sub, utc(2026, 3, 10, 8), None, "fibre cut"))
    run(bss, bc.RecordOutage("ticket-7", sub, utc(2026, 3, 10, 8), utc(2026, 3, 10, 20), "fibre cut"))  # closed
    run(bss, bc.RecordMaintenance("mw-1", utc(2026, 3, 10, 18), utc(2026, 3, 10, 20), "planned", (sub,)))
    with pytest.raises(ConflictError):
        run(bss, bc.RecordOutage("ticket-7", sub, utc(2026, 3, 11), None))
    april = bill(bss, utc(2026, 4, 1, 8), acme).bills[0].draft
    credit = [line for line in april.lines if line.kind is LineKind.SLA_CREDIT]
    # March in Paris is 743 hours (DST); 10 h down outside maintenance, of 741 h measured: 98.650 %
    assert [(line.description, line.gross, line.coverage.start.isoformat()) for line in credit] == [
        (
            "bia-100, SLA credit 2026-03-01 – 2026-03-31: availability 98.650 % (target 99.9 %), 25 % of the "
            "recurring charge",
            D("-9.88"),
            "2026-03-01",
        )
    ]
    assert bill(bss, utc(2026, 4, 1, 8), acme).bills == []


def test_a_maintenance_window_is_announced_before_it_starts(bss: Bss) -> None:
    """A window recorded once its days are past would excuse downtime after the fact, and change a
    credit already on an invoice or not depending on when the bill run came: it is refused. A retry
    of a window announced in time is answered as before, whenever it comes."""
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 1, 1, 9))
    set_clock(bss, utc(2026, 3, 5))
    window = bc.RecordMaintenance("mw-1", utc(2026, 3, 10, 18), utc(2026, 3, 10, 20), "planned", (sub,))
    assert run(bss, window)[1] is True
    set_clock(bss, utc(2026, 3, 11))
    assert run(bss, window)[1] is False  # a retry, after the window: the same one, not refused
    with pytest.raises(InvalidRequestError, match=r"validFor\.startDateTime.*announced before it starts"):
        run(bss, bc.RecordMaintenance("mw-2", utc(2026, 3, 10, 22), utc(2026, 3, 10, 23), "late", (sub,)))
    with pytest.raises(InvalidRequestError, match="announced before it starts"):  # under way: refused too
        run(bss, bc.RecordMaintenance("mw-3", utc(2026, 3, 10, 23), utc(2026, 3, 11, 2), "running", (sub,)))
    with bss.uow() as uow:
        assert [r.id for r in uow.session.scalars(select(MaintenanceRow))] == ["mw-1"]


def test_usage_before_its_subscription_is_active_is_kept_and_guided_once_it_is(bss: Bss) -> None:
    acme = account(bss)
    with bss.uow() as uow:
        customer = uow.accounts.get(acme).customer_id  # type: ignore[union-attr]
    from bss_bridge.domain.requests import ItemRequest, OrderRequest

    from ..billing_world import volume

    item = ItemRequest("1", "add", "bia-100", characteristics=(("site", "customer1"),))
    set_clock(bss, utc(2026, 3, 1))
    placed, _ = run(bss, commands.SubmitProductOrder(OrderRequest(customer, acme, (item,))))
    sub = placed.items[0].subscription_id
    report = run(
        bss,
        bc.ImportUsage((volume("early", sub, utc(2026, 3, 2, 10), 5), volume("nobody", "ghost", utc(2026, 3, 2), 1))),
    )
    assert report.unguided == {
        "early": f"product {sub} is not active yet",
        "nobody": "no product 'ghost' in the product inventory",
    }
    run(bss, commands.StartProductOrder(placed.id))
    run(bss, commands.CompleteOrderItem(placed.id, "1", utc(2026, 3, 2, 9)))  # activation guides it
    from .test_billing_run import statuses

    assert statuses(bss) == {"early": "guided", "nobody": "received"}
    assert run(bss, bc.ImportUsage((volume("early", sub, utc(2026, 3, 2, 10), 5),))).duplicates == ["early"]
    assert run(bss, bc.ImportUsage((volume("early", sub, utc(2026, 3, 2, 10), 6),))).conflicts == ["early"]


def test_a_bill_issued_after_a_payment_is_owed_in_full_and_a_prepayment_pays_it(bss: Bss) -> None:
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    bill(bss, utc(2026, 3, 11, 8), acme)  # March: the setup and 22 days at half price
    (first,) = states(bss, acme)
    run(bss, bc.RecordPayment("bank-1", acme, first[2] + D("10.00"), "EUR"))  # 10.00 paid in advance
    bill(bss, utc(2026, 4, 1, 8), acme)  # April: 47.40
    assert states(bss, acme) == [
        (first[0], BillState.SETTLED, D("0")),
        ("INV-2026-000002", BillState.PARTIALLY_PAID, D("37.40")),  # the new bill, less the 10.00 credit
    ]


def test_a_retry_is_recognised_by_what_it_means_and_amounts_are_kept_in_minor_units(bss: Bss) -> None:
    """A client retrying with its own formatting (10 for 10.00, the same instant at another
    offset) used to get 409; 1.000 EUR was kept with three decimals, and so was the balance."""
    from datetime import timedelta, timezone

    acme = account(bss)
    set_clock(bss, utc(2026, 3, 10, 12))
    paid_at = utc(2026, 3, 10, 8)
    first = run(bss, bc.RecordPayment("p1", acme, D("10"), "EUR", paid_at))
    assert first.new and str(first.row.amount) == "10.00"
    in_paris = paid_at.astimezone(timezone(timedelta(hours=1)))
    for amount, at in ((D("10.00"), paid_at), (D("1E+1"), in_paris), (D("10.000"), in_paris)):
        again = run(bss, bc.RecordPayment("p1", acme, amount, "EUR", at))
        assert not again.new and again.row.id == first.row.id
    with pytest.raises(ConflictError, match="p1"):
        run(bss, bc.RecordPayment("p1", acme, D("10.01"), "EUR", paid_at))
    with pytest.raises(ConflictError, match="p1"):
        run(bss, bc.RecordPayment("p1", acme, D("10"), "EUR", paid_at + timedelta(seconds=1)))
    assert str(run(bss, bc.RecordPayment("p2", acme, D("1.000"), "EUR")).row.amount) == "1.00"

    note = run(bss, bc.IssueCreditNote("cn1", acme, D("5"), "goodwill", currency="EUR"))
    assert note.new and str(note.row.amount) == "5.00"
    assert not run(bss, bc.IssueCreditNote("cn1", acme, D("5.00"), "goodwill")).new
    with pytest.raises(ConflictError, match="cn1"):  # recorded in EUR: a retry in USD is another request
        run(bss, bc.IssueCreditNote("cn1", acme, D("5.00"), "goodwill", currency="USD"))
    with pytest.raises(InvalidRequestError, match=r"amount\.unit"):
        run(bss, bc.IssueCreditNote("cn2", acme, D("5.00"), "goodwill", currency="USD"))
    with bss.uow() as uow:
        kept = sorted((r.key, f"{r.amount:f}") for r in uow.session.scalars(select(LedgerRow)))
    assert kept == [("cn1", "5.00"), ("p1", "10.00"), ("p2", "1.00")]


def test_a_released_bill_shows_what_was_paid_of_it(bss: Bss) -> None:
    """Held while partly paid and released as 'sent', or paid in part while held and released as
    'validated': the bill used to come back sent or validated, its payment hidden."""
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    bill(bss, utc(2026, 4, 1, 8), acme)  # 213.64 and 47.40
    first, second = (b[0] for b in states(bss, acme))
    with bss.uow() as uow:
        ids = {b.number: b.id for b in uow.invoices.of_account(acme)}
    set_clock(bss, utc(2026, 4, 2, 8))
    run(bss, bc.RecordPayment("pay-1", acme, D("10.00"), "EUR"))
    run(bss, bc.ChangeBillState(ids[first], "onHold"))
    run(bss, bc.ChangeBillState(ids[first], "sent"))
    assert states(bss, acme)[0] == (first, BillState.PARTIALLY_PAID, D("203.64"))
    run(bss, bc.ChangeBillState(ids[second], "onHold"))
    set_clock(bss, utc(2026, 4, 3, 8))
    run(bss, bc.RecordPayment("pay-2", acme, D("213.64"), "EUR"))  # settles the first, 10.00 on the held second
    assert states(bss, acme) == [(first, BillState.SETTLED, D("0")), (second, BillState.ON_HOLD, D("37.40"))]
    run(bss, bc.ChangeBillState(ids[second], "validated"))
    assert states(bss, acme)[1] == (second, BillState.PARTIALLY_PAID, D("37.40"))
    set_clock(bss, utc(2026, 4, 4, 8))
    run(bss, bc.RecordPayment("pay-3", acme, D("7.40"), "EUR"))  # owed less, in the same state
    with bss.uow() as uow:
        held = uow.invoices.get(ids[second])
        assert held is not None and held.remaining == D("30.00") and held.updated_at == utc(2026, 4, 4, 8)


def test_a_payment_resumes_what_dunning_suspended_and_suspends_nothing_itself(bss: Bss) -> None:
    """A partial payment of an account overdue past its grace, before any dunning run, used to
    suspend its products: the payment ran the dunning step, suspension included."""
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 10, 10))
    bill(bss, utc(2026, 4, 1, 8), acme)  # 213.64 and 47.40, due 1 May, 14 days of grace
    set_clock(bss, utc(2026, 5, 20, 12))
    run(bss, bc.RecordPayment("part-1", acme, D("50.00"), "EUR"))
    run(bss, bc.IssueCreditNote("goodwill-1", acme, D("5.00"), "goodwill"))
    assert product(bss, sub) is SubscriptionStatus.ACTIVE
    with bss.uow() as uow:
        assert uow.accounts.get(acme).state is AccountState.ACTIVE  # type: ignore[union-attr]
    assert run(bss, bc.RunDunning()) == {acme: "suspended 1 product(s): INV-2026-000001, INV-2026-000002 overdue"}
    run(bss, bc.RecordPayment("rest-1", acme, D("206.04"), "EUR"))
    assert product(bss, sub) is SubscriptionStatus.ACTIVE


def test_a_run_is_not_asked_to_bill_or_dun_far_ahead(bss: Bss) -> None:
    """A bill run asked a year ahead used to issue a year of invoices at once, numbered in the
    next year's series and dated then; dunning asked ahead suspended now for what is not overdue yet."""
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    set_clock(bss, utc(2026, 3, 20, 8))
    with pytest.raises(InvalidRequestError, match="asOf"):
        run(bss, bc.RunBilling(utc(2027, 6, 1)))
    assert len(run(bss, bc.RunBilling(utc(2027, 3, 1), preview=True)).bills) == 13  # a preview may look a year
    with pytest.raises(InvalidRequestError, match=r"asOf: a preview .* at most 366 days ahead"):
        run(bss, bc.RunBilling(utc(2027, 6, 1), preview=True))  # not more: it bills every period up to then
    with bss.uow() as uow:
        assert uow.invoices.of_account(acme) == []
    with pytest.raises(InvalidRequestError, match="asOf"):
        run(bss, bc.RunDunning(utc(2026, 3, 21)))
    assert len(run(bss, bc.RunBilling(utc(2026, 4, 1, 8))).issued) == 2  # the coming period, early: allowed
