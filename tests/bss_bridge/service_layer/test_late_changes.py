"""Changes the BSS records after a bill run, effective before it (an order whose completion reaches
the BSS late: the bridge was down, the OSS slow): the next run bills them as if they had been
recorded in time, on SQLite and a real PostgreSQL. Each case bills two accounts alike but for when
the change was recorded, and compares what each was charged over both runs."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain import ticket_commands as tc
from bss_bridge.domain.billing.lines import LineKind
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.domain.ticket import TicketRequest, TicketStatus
from bss_bridge.service_layer import billing_handlers
from bss_bridge.service_layer.billing_inputs import Holdings
from bss_bridge.storage.billing_reads import BillingReader
from bss_bridge.storage.billing_tables import BillCycleRow, UsageGroupRow, UsageRow
from bss_bridge.storage.tables import SubscriptionRow

from ..billing_world import account, bill, metered_offering, run, set_clock, subscribe, utc, volume

D = Decimal


def _order(bss: Bss, account_id: str, at: datetime, item: ItemRequest) -> str:
    """An order placed and started at ``at``, its item not completed yet."""
    set_clock(bss, at)
    with bss.uow() as uow:
        customer_id = uow.accounts.get(account_id).customer_id  # type: ignore[union-attr]
    placed, _ = run(bss, commands.SubmitProductOrder(OrderRequest(customer_id, account_id, (item,))))
    run(bss, commands.StartProductOrder(placed.id))
    return str(placed.id)


def _complete(bss: Bss, order_id: str, at: datetime, recorded: datetime) -> Any:
    """The order's item done at ``at`` (its service works, or is gone, from then), as the BSS learns at ``recorded``."""
    set_clock(bss, recorded)
    return run(bss, commands.CompleteOrderItem(order_id, "1", at))


def _charged(reports: list[Any], account_id: str) -> list[tuple[str, date, date, Decimal]]:
    """What the account was charged, line by line (kind, coverage, amount), over these runs, with
    each day's charges and credits netted per kind."""
    net: dict[tuple[str, date, date], Decimal] = {}
    for report in reports:
        for b in report.bills:
            if b.account_id == account_id and b.draft is not None:
                for line in b.draft.lines:
                    key = (str(line.kind), line.coverage.start, line.coverage.end)
                    net[key] = net.get(key, D(0)) + line.amount
    return sorted((*key, amount) for key, amount in net.items() if amount)


def _lines(report: Any, account_id: str) -> list[Any]:
    return [line for b in report.bills if b.account_id == account_id and b.draft for line in b.draft.lines]


def _total(reports: list[Any], account_id: str) -> Decimal:
    return sum((b.draft.totals.total for r in reports for b in r.bills if b.account_id == account_id and b.draft), D(0))


GONE = utc(2026, 1, 25, 12)  # 13:00 in Paris


def _terminating(bss: Bss, other: str = "Globex") -> tuple[str, str, dict[str, str], dict[str, str]]:
    """Two accounts (Europe/Paris, bill cycle day 1) with a bia-100 (79/month) active from 5 January
    and its termination ordered on 20 January, effective 25 January: the first account's BSS learns
    it on 26 January; the other's completion is left to the test."""
    in_time, other_id = account(bss), account(bss, name=other)
    subs = {a: subscribe(bss, a, utc(2026, 1, 5, 10)) for a in (in_time, other_id)}
    orders = {a: _order(bss, a, utc(2026, 1, 20, 9), ItemRequest("1", "delete", None, subs[a])) for a in subs}
    _complete(bss, orders[in_time], GONE, recorded=utc(2026, 1, 26, 9))
    return in_time, other_id, subs, orders


def test_a_termination_recorded_after_a_run_is_credited_from_the_day_it_took_effect(any_bss: Bss) -> None:
    bss = any_bss
    in_time, late, _, orders = _terminating(bss)
    february = bill(bss, utc(2026, 2, 1, 8))
    _complete(bss, orders[late], GONE, recorded=utc(2026, 2, 2, 9))
    march = bill(bss, utc(2026, 3, 1, 8))

    assert _total([february, march], late) == _total([february, march], in_time)
    late_credits = [line for line in _lines(march, late) if line.kind is LineKind.RECURRING_CREDIT]
    assert {(line.coverage.start, line.coverage.end) for line in late_credits} >= {
        (date(2026, 1, 25), date(2026, 2, 1)),  # January from the day it ended (billed on 1 February)
        (date(2026, 2, 1), date(2026, 3, 1)),  # February (billed in advance on 1 February)
    }


def test_a_late_termination_after_a_tax_rate_change_gives_back_the_tax_it_charged(any_bss: Bss) -> None:
    """Both accounts go from 20 % to 21 % on 2 February. The late one's credits for January's last
    days and for February (invoiced at 20 % on 1 February) give back 20 %, so over both runs it
    pays what the account recorded in time pays, tax included."""
    bss = any_bss
    in_time, late, _, orders = _terminating(bss)
    february = bill(bss, utc(2026, 2, 1, 8))
    set_clock(bss, utc(2026, 2, 2, 8))
    for a in (in_time, late):
        run(bss, commands.UpdateBillingAccount(a, terms={"tax_rate_pct": D(21)}))
    _complete(bss, orders[late], GONE, recorded=utc(2026, 2, 2, 9))
    march = bill(bss, utc(2026, 3, 1, 8))

    credits = [line for line in _lines(march, late) if line.kind is LineKind.RECURRING_CREDIT]
    assert credits and {line.tax_rate for line in credits} == {D(20)}
    assert all(line.tax == (line.amount * D("0.20")).quantize(D("0.01"), ROUND_HALF_UP) for line in credits)
    assert _total([february, march], late) == _total([february, march], in_time)


def test_usage_measured_after_a_termination_recorded_late_is_given_back_and_kept_received(any_bss: Bss) -> None:
    """800 GB on 20 January and 700 GB on 28 January, after the termination (effective 25
    January). The account that knew of it refused the second record at guiding (kept, received);
    the late one billed both on 1 February (500 GB above the allowance). Once the termination is
    recorded the record goes back to received with the same reason, and the next bill gives back
    what was billed of it: both accounts pay the same."""
    bss = any_bss
    in_time, late, subs, orders = _terminating(bss)
    set_clock(bss, utc(2026, 1, 28, 12))
    for a in (in_time, late):
        run(bss, bc.ImportUsage((volume(f"before-{a}", subs[a], utc(2026, 1, 20, 9), 800),
                                 volume(f"after-{a}", subs[a], utc(2026, 1, 28, 9), 700))))
    february = bill(bss, utc(2026, 2, 1, 8))
    above = [(x.quantity, x.amount) for x in _lines(february, late) if x.kind is LineKind.USAGE and x.amount]
    assert above == [(D(500), D("25.00"))]
    _complete(bss, orders[late], GONE, recorded=utc(2026, 2, 2, 9))
    march = bill(bss, utc(2026, 3, 1, 8))

    assert _total([february, march], late) == _total([february, march], in_time)
    given_back = [(x.quantity, x.amount) for x in _lines(march, late) if x.kind is LineKind.USAGE_ADJUSTMENT]
    assert (D(-500), D("-25.00")) in given_back
    with bss.uow() as uow:
        rows = uow.session.execute(select(UsageRow.usage_id, UsageRow.status, UsageRow.problem)).all()
    status = {usage_id: (state, problem) for usage_id, state, problem in rows}
    assert status[f"after-{late}"][0] == status[f"after-{in_time}"][0] == "received"
    assert status[f"after-{late}"][1] == status[f"after-{in_time}"][1].replace(subs[in_time], subs[late])
    assert "follows the termination" in status[f"after-{late}"][1]
    assert status[f"before-{late}"][0] == "guided"


def test_an_activation_recorded_after_a_run_is_charged_from_the_day_it_took_effect(any_bss: Bss) -> None:
    bss = any_bss
    in_time, late = account(bss), account(bss, name="Globex")
    for a in (in_time, late):  # billed already: the new product joins an account with a last bill
        subscribe(bss, a, utc(2026, 1, 5, 10))
    bill(bss, utc(2026, 2, 1, 8))
    add = ItemRequest("1", "add", "bia-100", characteristics=(("site", "customer1"),))
    orders = {a: _order(bss, a, utc(2026, 2, 10, 9), add) for a in (in_time, late)}
    up = utc(2026, 2, 15, 12)
    _complete(bss, orders[in_time], up, recorded=utc(2026, 2, 16, 9))
    march = bill(bss, utc(2026, 3, 1, 8))
    _complete(bss, orders[late], up, recorded=utc(2026, 3, 2, 9))
    april = bill(bss, utc(2026, 4, 1, 8))

    assert _charged([march, april], late) == _charged([march, april], in_time)
    assert _total([march, april], late) == _total([march, april], in_time)
    kinds = {(line.kind, line.coverage.start) for line in _lines(april, late)}
    assert {(LineKind.ONE_TIME, date(2026, 2, 15)), (LineKind.RECURRING, date(2026, 2, 15))} <= kinds


def _sped_up(bss: Bss, offering: str) -> tuple[str, str, dict[str, str], Any, Any]:
    """Two accounts with a bia-100 from 2 January, modified to ``offering`` effective 3 January,
    and 1,003 GB of January usage: the first account's BSS learns of the change on 3 January, the
    other's on 2 February, after the run of 1 February. Their ids, subscriptions and the runs of 1
    February and 1 March."""
    in_time, late = account(bss), account(bss, name="Globex")
    subs = {a: subscribe(bss, a, utc(2026, 1, 2, 10)) for a in (in_time, late)}
    faster = {a: _order(bss, a, utc(2026, 1, 2, 20), ItemRequest("1", "modify", offering, subs[a])) for a in subs}
    set_clock(bss, utc(2026, 1, 20, 9))
    run(bss, bc.ImportUsage(tuple(volume(f"u-{a}", subs[a], utc(2026, 1, 10, 9), 1003) for a in subs)))
    _complete(bss, faster[in_time], utc(2026, 1, 3, 9), recorded=utc(2026, 1, 3, 9))
    february = bill(bss, utc(2026, 2, 1, 8))
    _complete(bss, faster[late], utc(2026, 1, 3, 9), recorded=utc(2026, 2, 2, 9))
    return in_time, late, subs, february, bill(bss, utc(2026, 3, 1, 8))


def test_a_speed_change_recorded_late_rerates_the_usage_already_billed_on_the_new_terms(any_bss: Bss) -> None:
    """An upgrade to bia-1000 (10,000 GB free) effective 3 January, recorded on 2 February: January's
    1,003 GB were billed on 1 February on bia-100's terms (1,000 GB included, 3 GB at 0.05). The next
    run rates them again on the terms known now and gives the 0.15 back, as billed in time."""
    bss = any_bss
    in_time, late, subs, february, march = _sped_up(bss, "bia-1000")

    def usage(a: str) -> Decimal:
        kinds = (LineKind.USAGE, LineKind.USAGE_ADJUSTMENT)
        return sum((x.amount for r in (february, march) for x in _lines(r, a) if x.kind in kinds), D(0))

    assert [x.amount for x in _lines(february, late) if x.kind is LineKind.USAGE] == [D("0.00"), D("0.15")]
    assert usage(late) == usage(in_time) == D("0.00")
    given_back = [x for x in _lines(march, late) if x.kind is LineKind.USAGE_ADJUSTMENT and x.amount]
    assert [(x.coverage.start, x.quantity, x.amount) for x in given_back] == [(date(2026, 1, 1), D(-3), D("-0.15"))]
    with bss.uow() as uow:  # the records stay billed by the invoice that billed them
        group = select(UsageGroupRow.invoice_id).where(UsageGroupRow.subscription_id == subs[late])
        billed_by = uow.session.scalar(group)
    assert billed_by == next(b.bill_id for b in february.issued if b.account_id == late and b.period.start.month == 2)


def test_a_change_recorded_late_to_terms_pricing_usage_otherwise_gives_back_what_the_old_price_billed(
    any_bss: Bss,
) -> None:
    """bia-100 (1,000 GB included, then 0.05 per GB, a price named "traffic") modified to an
    offering whose usage price is named "data" and counts TB, effective 3 January but recorded on
    2 February: January's 1,003 GB were billed on 1 February under "traffic" (0.15). The next run
    bills them under "data" and gives back what "traffic" billed, under bia-100's name: over both
    runs the account pays what the account that knew in time pays."""
    bss = any_bss
    set_clock(bss, utc(2026, 1, 1, 0))
    metered = metered_offering(bss)
    in_time, late, _, february, march = _sped_up(bss, metered)

    def usage(a: str) -> dict[tuple[str, str, str], tuple[Decimal, Decimal]]:
        """January's usage lines over both runs, netted per offering, price and unit: (quantity, amount)."""
        net: dict[tuple[str, str, str], tuple[Decimal, Decimal]] = {}
        for x in _lines(february, a) + _lines(march, a):
            if x.kind in (LineKind.USAGE, LineKind.USAGE_ADJUSTMENT):
                quantity, amount = net.get((x.product, x.price_name, x.unit), (D(0), D(0)))
                net[x.product, x.price_name, x.unit] = (quantity + x.quantity, amount + x.amount)
        return {key: value for key, value in net.items() if any(value)}

    assert [(x.price_name, x.amount) for x in _lines(february, late) if x.kind is LineKind.USAGE] == [
        ("traffic", D("0.00")),
        ("traffic", D("0.15")),
    ]
    assert usage(late) == usage(in_time) == {(metered, "data", "TB"): (D("1.003"), D("20.06"))}
    given_back = [x for x in _lines(march, late) if x.kind is LineKind.USAGE_ADJUSTMENT and x.price_name == "traffic"]
    assert {(x.product, x.quantity, x.amount) for x in given_back} == {
        ("bia-100", D(-1000), D("0.00")),
        ("bia-100", D(-3), D("-0.15")),
    }
    assert _total([february, march], late) == _total([february, march], in_time)


def test_a_change_committed_while_a_run_bills_its_account_is_billed_by_the_next_run(
    any_bss: Bss, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run read the account (ahead, while it rated) before the change committed: its invoice
    is without it, and what its bill records as seen is what it read, so the next run corrects it."""
    bss = any_bss
    in_time, raced, subs, orders = _terminating(bss)
    compute, read = billing_handlers._compute, billing_handlers.read_ahead
    reads: list[list[str]] = []

    def spy_read(reader: BillingReader, ids: list[str], as_of: datetime) -> Holdings:
        reads.append(list(ids))
        return read(reader, ids, as_of)

    def change_then_compute(uow: object, ids: list[str], *rest: object) -> object:
        if raced in ids and reads:  # read already: the completion commits now (as another request would)
            done = threading.Thread(target=run, args=(bss, commands.CompleteOrderItem(orders[raced], "1", GONE)))
            done.start()
            done.join()
        return compute(uow, ids, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(billing_handlers, "read_ahead", spy_read)
    monkeypatch.setattr(billing_handlers, "_compute", change_then_compute)
    february = bill(bss, utc(2026, 2, 1, 8))
    monkeypatch.undo()
    assert reads and [b.account_id for b in february.issued if b.account_id == raced]
    with bss.uow() as uow:
        assert uow.subscriptions.get(subs[raced]).termination_date == GONE  # type: ignore[union-attr]
    assert _charged([february], raced) != _charged([february], in_time)  # billed as read: still active
    march = bill(bss, utc(2026, 3, 1, 8))
    assert _total([february, march], raced) == _total([february, march], in_time)
    credits = {(line.coverage.start, line.coverage.end) for line in _lines(march, raced) if line.amount < 0}
    assert credits == {(date(2026, 1, 25), date(2026, 2, 1)), (date(2026, 2, 1), date(2026, 3, 1))}


def _revision(bss: Bss, subscription_id: str) -> int:
    with bss.uow() as uow:
        return int(uow.session.scalar(select(SubscriptionRow.revision).where(SubscriptionRow.id == subscription_id)))


def test_a_subscription_s_revision_counts_its_stored_changes_and_nothing_else(any_bss: Bss) -> None:
    bss = any_bss
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 1, 5, 10))
    first = _revision(bss, sub)
    with bss.uow() as uow:  # loaded and written back unchanged
        uow.subscriptions.get(sub)
        uow.commit()
    bill(bss, utc(2026, 2, 1, 8))  # billing reads it, never changes it
    assert _revision(bss, sub) == first
    run(bss, commands.SuspendSubscription(sub))
    assert _revision(bss, sub) == first + 1
    with bss.uow() as uow:  # a change of its terms alone (not of its own row's columns)
        found = uow.subscriptions.get(sub)
        assert found is not None
        found.terms[-1] = replace(found.terms[-1], reason="corrected")
        uow.commit()
    assert _revision(bss, sub) == first + 2
    with bss.uow() as uow:
        seen = uow.session.scalar(select(BillCycleRow.seen).where(BillCycleRow.account_id == acme))
    assert seen == {sub: first}  # what the bill of 1 February read


def test_an_outage_recorded_after_the_run_that_billed_its_month_is_credited_on_the_next_invoice(any_bss: Bss) -> None:
    bss = any_bss
    in_time, late = account(bss), account(bss, name="Globex")
    subs = {a: subscribe(bss, a, utc(2026, 1, 1, 9)) for a in (in_time, late)}  # bia-100: SLA 99.9 %
    down = (utc(2026, 1, 20, 8), utc(2026, 1, 21, 20))
    set_clock(bss, utc(2026, 1, 22, 9))
    run(bss, bc.RecordOutage("t-1", subs[in_time], *down, "fibre cut"))
    february = bill(bss, utc(2026, 2, 1, 8))
    set_clock(bss, utc(2026, 2, 2, 9))  # the bridge was down: the BSS learns of it now
    run(bss, bc.RecordOutage("t-2", subs[late], *down, "fibre cut"))
    march = bill(bss, utc(2026, 3, 1, 8))

    assert _total([february, march], late) == _total([february, march], in_time)
    credits = [line for line in _lines(march, late) if line.kind is LineKind.SLA_CREDIT]
    assert [(line.coverage.start, line.gross) for line in credits] == [
        (line.coverage.start, line.gross) for line in _lines(february, in_time) if line.kind is LineKind.SLA_CREDIT
    ]
    assert credits and credits[0].coverage.start == date(2026, 1, 1)
    assert "availability 95.161 %" in credits[0].description  # 36 of January's 744 hours down


def test_a_month_on_an_offering_with_an_sla_keeps_its_credit_after_a_change_to_one_without(any_bss: Bss) -> None:
    """bia-100 (SLA 99.9 %) down 36 hours in January, changed on 24 February to bia-1000-metered
    (no SLA). The late account learns of the outage on 2 February, after January was billed: its
    credit is January's, on bia-100's SLA, whatever the offering is now. The other account was
    credited in time, and its next bill, which looks at January again (usage of January arriving
    late), leaves the credit alone."""
    bss = any_bss
    set_clock(bss, utc(2026, 1, 1, 0))
    metered = metered_offering(bss)
    in_time, late = account(bss), account(bss, name="Globex")
    subs = {a: subscribe(bss, a, utc(2026, 1, 1, 9)) for a in (in_time, late)}
    down = (utc(2026, 1, 20, 8), utc(2026, 1, 21, 20))
    set_clock(bss, utc(2026, 1, 22, 9))
    run(bss, bc.RecordOutage("t-1", subs[in_time], *down, "fibre cut"))
    february = bill(bss, utc(2026, 2, 1, 8))
    set_clock(bss, utc(2026, 2, 2, 9))
    run(bss, bc.RecordOutage("t-2", subs[late], *down, "fibre cut"))
    run(bss, bc.ImportUsage(tuple(volume(f"u-{a}", subs[a], utc(2026, 1, 25, 9), 5) for a in subs)))
    faster = {a: _order(bss, a, utc(2026, 2, 23, 9), ItemRequest("1", "modify", metered, subs[a])) for a in subs}
    for a in subs:
        _complete(bss, faster[a], utc(2026, 2, 24, 9), recorded=utc(2026, 2, 24, 9))
    march = bill(bss, utc(2026, 3, 1, 8))

    assert _total([february, march], late) == _total([february, march], in_time)
    lines = {a: _lines(february, a) + _lines(march, a) for a in subs}
    sla = {a: [(x.coverage.start, x.amount) for x in lines[a] if x.kind is LineKind.SLA_CREDIT] for a in subs}
    assert sla[late] == sla[in_time] and len(sla[in_time]) == 1 and sla[in_time][0][0] == date(2026, 1, 1)


def test_an_outage_whose_end_is_recorded_after_the_run_has_its_credit_corrected_on_the_next_invoice(
    any_bss: Bss,
) -> None:
    """Open when January was billed (it counted to the end of the month), restored on 21 January
    as the BSS learns on 2 February: the next invoice gives back what January's credit had too much."""
    bss = any_bss
    in_time, late = account(bss), account(bss, name="Globex")
    subs = {a: subscribe(bss, a, utc(2026, 1, 1, 9)) for a in (in_time, late)}
    start, end = utc(2026, 1, 20, 8), utc(2026, 1, 21, 20)
    set_clock(bss, utc(2026, 1, 20, 9))
    for a, outage in ((in_time, "t-1"), (late, "t-2")):
        run(bss, bc.RecordOutage(outage, subs[a], start, None, "fibre cut"))
    set_clock(bss, utc(2026, 1, 22, 9))
    run(bss, bc.RecordOutage("t-1", subs[in_time], start, end, "fibre cut"))
    february = bill(bss, utc(2026, 2, 1, 8))
    set_clock(bss, utc(2026, 2, 2, 9))
    run(bss, bc.RecordOutage("t-2", subs[late], start, end, "fibre cut"))
    march = bill(bss, utc(2026, 3, 1, 8))

    assert _total([february, march], late) == _total([february, march], in_time)
    january = [line for line in _lines(march, late) if line.kind is LineKind.SLA_CREDIT]
    assert len(january) == 1 and january[0].gross > 0  # a part of the credit given back


def test_a_ticket_resolved_after_the_run_that_billed_its_month_earns_the_credit_on_the_next_invoice(
    any_bss: Bss,
) -> None:
    """A trouble ticket opened on 20 January, resolved as of 21 January but only on 2 February (its
    resolution writes the outage): the next invoice credits January as if resolved in time."""
    bss = any_bss
    in_time, late = account(bss), account(bss, name="Globex")
    subs = {a: subscribe(bss, a, utc(2026, 1, 1, 9)) for a in (in_time, late)}
    set_clock(bss, utc(2026, 1, 20, 9))
    tickets = {}
    for a in (in_time, late):
        with bss.uow() as uow:
            customer = uow.accounts.get(a).customer_id  # type: ignore[union-attr]
        request = TicketRequest("down", "Critical", "incident", customer, (subs[a],), utc(2026, 1, 20, 8), f"alarm-{a}")
        tickets[a] = run(bss, tc.OpenTroubleTicket(request))[0].id
    resolved = tc.UpdateTroubleTicket(tickets[in_time], TicketStatus.RESOLVED, "fixed", utc(2026, 1, 21, 20))
    set_clock(bss, utc(2026, 1, 22, 9))
    run(bss, resolved)
    february = bill(bss, utc(2026, 2, 1, 8))
    set_clock(bss, utc(2026, 2, 2, 9))
    run(bss, tc.UpdateTroubleTicket(tickets[late], TicketStatus.RESOLVED, "fixed", utc(2026, 1, 21, 20)))
    march = bill(bss, utc(2026, 3, 1, 8))

    assert _total([february, march], late) == _total([february, march], in_time)
    credits = [line for line in _lines(march, late) if line.kind is LineKind.SLA_CREDIT]
    assert [line.coverage.start for line in credits] == [date(2026, 1, 1)]
    assert "availability 95.161 %" in credits[0].description
