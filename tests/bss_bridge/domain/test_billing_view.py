"""A subscription's life in the product inventory reaches billing as sold: terms become snapshots
and changes, the bill cycle day and zone a billing cycle."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest

from bss_bridge.domain import fulfilment
from bss_bridge.domain.billing.cycles import LAST_DAY
from bss_bridge.domain.billing_view import billed, billing_cycle
from bss_bridge.domain.errors import InvalidRequestError
from bss_bridge.domain.ordering import place, plan_order
from bss_bridge.domain.party import BillCycle
from bss_bridge.domain.pricing import CreditTier, SlaTerms
from bss_bridge.domain.requests import ItemRequest
from bss_bridge.domain.subscription import Subscription

from ..builders import T0, World, add, world

H = timedelta(hours=1)
D = Decimal


def ordered(w: World, *items: ItemRequest) -> None:
    ids = (f"s{n}" for n in count(len(w.subscriptions) + 1))
    request = w.request(*items)
    order, subs = place(
        plan_order(request, w.customer, w.account, w.catalog, T0), request, w.catalog, "o", lambda: next(ids), T0
    )
    w.subscriptions.update({s.id: s for s in subs})
    fulfilment.start(order, w.subscriptions, T0)
    for item in order.leaves():
        fulfilment.complete_item(order, item.id, w.subscriptions, T0 + H)


def _upgraded(w: World) -> Subscription:
    """The world's s1 (bia-100) upgraded to bia-1000 two days after T0."""
    sub = w.subscriptions["s1"]
    sub.change_terms(
        T0 + 48 * H,
        offering_id="bia-1000",
        characteristics={"site": "customer1", "bandwidthMbps": 1000},
        prices=tuple(w.offerings["bia-1000"].prices_at(T0, "EUR")),
        reason="modify",
    )
    return sub


def test_an_upgraded_then_terminated_subscription_is_billed_on_its_terms() -> None:
    w = world()
    ordered(w, add("1", "bia-100", site="customer1"))
    sub = _upgraded(w)
    sub.request_termination("o2", T0 + 96 * H)
    sub.terminate(T0 + 100 * H)
    view = billed(sub)
    assert view is not None
    assert (view.activated_at, view.terminated_at, [c.at for c in view.changes]) == (
        T0 + H,
        T0 + 100 * H,
        [T0 + 48 * H],
    )
    assert view.snapshot.monthly_recurring == Decimal("79.00") and view.snapshot.promotion is not None
    assert view.changes[0].snapshot.monthly_recurring == Decimal("249.00")
    assert view.changes[0].snapshot.promotion == view.snapshot.promotion  # the acquisition discount goes along
    cycle = billing_cycle(w.account)
    assert [(s.start, s.end, s.snapshot.offering) for s in view.segments(cycle)] == [
        (date(2026, 3, 1), date(2026, 3, 3), "bia-100"),
        (date(2026, 3, 3), date(2026, 3, 5), "bia-1000"),
    ]


def test_each_term_carries_the_sla_of_its_own_offering() -> None:
    """Upgraded from bia-100 (an SLA) to an offering without one: the months on bia-100 keep its
    SLA, whatever the subscription's offering is now."""
    w = world()
    ordered(w, add("1", "bia-100", site="customer1"))
    sla = SlaTerms(D("99.9"), (CreditTier(D("99.9"), D(10)),))
    view = billed(_upgraded(w), {"bia-100": sla, "bia-1000": None})
    assert view is not None
    assert (view.snapshot.sla, view.changes[0].snapshot.sla) == (sla, None)


def test_the_last_day_and_the_zone_reach_the_billing_cycle() -> None:
    w = world()
    w.account.terms = w.account.with_terms(bill_cycle=BillCycle(None), time_zone="America/New_York")
    cycle = billing_cycle(w.account)
    assert (cycle.day, cycle.zone) == (LAST_DAY, "America/New_York")
    assert cycle.period_containing(date(2026, 2, 10)).end == date(2026, 2, 28)


def test_not_yet_active_and_bundles_are_not_billed_as_such() -> None:
    w = world()
    ordered(
        w, ItemRequest("b", "add", "connect-bundle", characteristics=(("site", "a"), ("siteA", "a"), ("siteB", "b")))
    )
    with pytest.raises(InvalidRequestError, match="is a bundle"):
        billed(w.subscriptions["s1"])
    assert billed(w.subscriptions["s2"]) is not None
    request = w.request(add("1", "bia-100", site="x"))
    _, (pending,) = place(
        plan_order(request, w.customer, w.account, w.catalog, T0), request, w.catalog, "o9", lambda: "p1", T0
    )
    assert billed(pending) is None


def test_the_quote_and_the_first_invoice_reach_the_same_figures() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bss_bridge.domain.billing.invoice import Account, BillingInput, assemble_invoice
    from bss_bridge.domain.billing.lines import LineKind as BilledKind
    from bss_bridge.domain.billing.lines import TaxTerms

    w = world()  # bill cycle day 1 in Europe/Paris, 20 % tax
    start = datetime(2026, 4, 1, tzinfo=ZoneInfo("Europe/Paris"))
    request = w.request(add("1", "bia-100", site="customer1"), add("2", "interconnect", siteA="a", siteB="b"))
    plan = plan_order(request, w.customer, w.account, w.catalog, start)
    order, subs = place(plan, request, w.catalog, "o1", iter(["s1", "s2"]).__next__, start)
    w.subscriptions.update({s.id: s for s in subs})
    fulfilment.start(order, w.subscriptions, start)
    for item in order.leaves():
        fulfilment.complete_item(order, item.id, w.subscriptions, start)
    cycle = billing_cycle(w.account)
    views = tuple(v for v in (billed(s) for s in subs) if v is not None)
    draft = assemble_invoice(BillingInput(Account("a1", "EUR", cycle, TaxTerms(D(20))), cycle.period_at(start), views))
    invoiced = sorted((line.kind.value, line.gross, line.discount, line.amount, line.tax) for line in draft.lines)
    kinds = {"oneTime": BilledKind.ONE_TIME.value, "recurring": BilledKind.RECURRING.value}
    quoted = sorted(
        (kinds[q.kind.value], q.line.gross, q.line.discount, q.line.amount, q.line.tax)
        for q in plan.quote.lines
        if q.line
    )
    assert invoiced == quoted and len(invoiced) == 4  # two setups, two monthly charges (one discounted)
    assert draft.totals.subtotal == plan.quote.one_time + plan.quote.monthly + plan.quote.monthly_discount
