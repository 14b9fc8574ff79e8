"""Properties of bill runs over random accounts, histories and late usage (Hypothesis): totals are
sums of lines, a repeated run makes nothing, input order does not matter, every usage record is
billed exactly once, a full period costs exactly its monthly price, and what the runs billed adds
up, period by period and to the cent, to one bill made knowing everything."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bss_bridge.domain.billing.cycles import BillCycle, BillingPeriod
from bss_bridge.domain.billing.invoice import Account, BillingInput, InvoiceDraft, assemble_invoice
from bss_bridge.domain.billing.lines import InvoiceLine, LineKind, TaxTerms
from bss_bridge.domain.billing.rating import rate_quantity
from bss_bridge.domain.billing.subscriptions import PriceChange, PriceSnapshot, Subscription
from bss_bridge.domain.billing.usage import UsageRecord, aggregate_usage
from bss_bridge.domain.money import round_money
from bss_bridge.domain.pricing import (
    DiscountKind,
    GraduatedUsage,
    PerUnitUsage,
    Price,
    Promotion,
    RecurringCharge,
    Tier,
    VolumeUsage,
)

D = Decimal
ORIGIN = datetime(2023, 12, 1, tzinfo=UTC)
ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe")


def offer(name: str, monthly: str, unit_price: str, included: int, promotion: Promotion | None = None) -> PriceSnapshot:
    return PriceSnapshot(
        name,
        (
            Price("monthly", "EUR", RecurringCharge(D(monthly))),
            Price("traffic", "EUR", PerUnitUsage("GB", D(unit_price), included=D(included))),
        ),
        promotion,
    )


TIERS = (Tier(D(20), D("0.10")), Tier(D(50), D("0.07"), flat_fee=D("1.5")), Tier(None, D("0.045")))
OFFERS = (
    offer("small", "31.00", "0.05", 100),
    offer("big", "62.99", "0.067", 0),
    offer("free", "0", "0.10", 10),
    offer("promo", "49.90", "0.03", 50, Promotion("half", DiscountKind.PERCENT, D(50), 2)),
    offer("fixed", "20.00", "0.01", 0, Promotion("5 off", DiscountKind.FIXED, D(5), 1)),
    PriceSnapshot(
        "graduated",
        (Price("monthly", "EUR", RecurringCharge(D("15.00"))), Price("traffic", "EUR", GraduatedUsage("GB", TIERS))),
    ),
    PriceSnapshot(
        "volume",
        (Price("monthly", "EUR", RecurringCharge(D("17.00"))), Price("traffic", "EUR", VolumeUsage("GB", TIERS))),
    ),
)
HOURS = st.integers(0, 150 * 24)


@dataclass(frozen=True)
class Plan:
    activated: int
    offer: int
    changes: list[tuple[int, int]]
    ended: int | None


PLANS = st.builds(
    Plan, HOURS, st.integers(0, 6), st.lists(st.tuples(HOURS, st.integers(0, 6)), max_size=2), st.none() | HOURS
)
RECORDS = st.lists(st.tuples(st.integers(0, 2), HOURS, st.integers(0, 900), st.integers(0, 7)), max_size=25)


def build(index: int, plan: Plan) -> Subscription:
    start = ORIGIN + timedelta(hours=plan.activated)
    changes = tuple(PriceChange(start + timedelta(hours=h), OFFERS[o]) for h, o in sorted(plan.changes))
    last = changes[-1].at if changes else start
    ended = None if plan.ended is None else max(last, ORIGIN + timedelta(hours=plan.ended))
    return Subscription(f"s{index}", start, OFFERS[plan.offer], changes, ended)


def known_at(subs: list[Subscription], instant: datetime) -> list[Subscription]:
    """What a bill run at ``instant`` knows: activations, changes and terminations before it."""
    return [
        Subscription(
            s.id,
            s.activated_at,
            s.snapshot,
            tuple(c for c in s.changes if c.at < instant),
            s.terminated_at if s.terminated_at is not None and s.terminated_at < instant else None,
        )
        for s in subs
        if s.activated_at < instant
    ]


def run(
    account: Account,
    period: BillingPeriod,
    subs: list[Subscription],
    records: list[UsageRecord],
    billed: list[InvoiceLine],
    history: date,
) -> InvoiceDraft:
    return assemble_invoice(
        BillingInput(
            account,
            period,
            tuple(subs),
            tuple(aggregate_usage(records, account.cycle)),
            billed=tuple(billed),
            history_from=history,
        )
    )


def snapshot_on(sub: Subscription, cycle: BillCycle, day: date) -> PriceSnapshot | None:
    return next((s.snapshot for s in sub.segments(cycle) if s.start <= day and (s.end is None or day < s.end)), None)


@settings(max_examples=200, deadline=None)
@given(
    day=st.integers(1, 31),
    zone=st.sampled_from(ZONES),
    plans=st.lists(PLANS, min_size=1, max_size=3),
    rows=RECORDS,
    resent=st.lists(st.integers(0, 24), max_size=5),
    seed=st.integers(0, 2**32),
)
def test_bill_runs_bill_each_record_once_and_repeat_to_nothing(
    day: int, zone: str, plans: list[Plan], rows: list[tuple[int, int, int, int]], resent: list[int], seed: int
) -> None:
    account = Account("a", "EUR", BillCycle(day, zone), TaxTerms(D("19.6")))
    cycle = account.cycle
    subs = [build(i, p) for i, p in enumerate(plans)]
    records = [
        (UsageRecord(f"u{i}", f"s{s % len(subs)}", "GB", ORIGIN + timedelta(hours=h), D(q) / 10), arrival)
        for i, (s, h, q, arrival) in enumerate(rows)
    ]
    records += [records[i] for i in resent if i < len(records)]  # the same record sent again
    history = cycle.period_containing(cycle.local_date(ORIGIN)).start
    periods = cycle.periods(history, date(2024, 6, 1))[1:]
    billed: list[InvoiceLine] = []
    runs = [*periods, cycle.following(periods[-1])]
    for month, period in enumerate(runs):
        arrived = [r for r, arrival in records if arrival <= month or period == runs[-1]]
        known = subs if period == runs[-1] else known_at(subs, period.starts_at)
        draft = run(account, period, known, arrived, billed, history)
        assert draft.totals.subtotal == sum((line.amount for line in draft.lines), D("0.00"))
        assert draft.totals.total == draft.totals.subtotal + sum((line.tax for line in draft.lines), D("0.00"))
        shuffled, loaded = arrived[:], billed[:]
        random.Random(seed).shuffle(shuffled)
        random.Random(seed).shuffle(loaded)
        assert run(account, period, known[::-1], shuffled, loaded, history) == draft
        billed += draft.lines
        assert run(account, period, known, arrived, billed, history).lines == ()
    last = cycle.following(periods[-1])
    distinct = {r.id: r for r, _ in records}
    for sub in subs:
        for span in cycle.periods(history, last.start):
            quantity = sum(
                (
                    r.quantity
                    for r in distinct.values()
                    if r.subscription_id == sub.id and cycle.period_at(r.at) == span
                ),
                D(0),
            )
            usage = [
                line
                for line in billed
                if line.subscription_id == sub.id and line.price_name == "traffic" and line.coverage == span
            ]
            active = [d for d in (span.start + timedelta(days=i) for i in range(span.days)) if sub.active_on(d, cycle)]
            if not active:
                assert usage == []
                continue
            assert sum((line.quantity for line in usage), D(0)) == quantity  # every record exactly once
            terms = snapshot_on(sub, cycle, active[-1])
            assert terms is not None
            price = terms.usage_price("GB")
            assert price is not None and isinstance(price.component, PerUnitUsage | GraduatedUsage | VolumeUsage)
            rated = sum((p.amount for p in rate_quantity(price.component, quantity)), D(0))
            assert sum((line.gross for line in usage), D(0)) == round_money(rated, "EUR")
            check_full_period(sub, cycle, span, billed)
    # Whatever came late, in what order: the same lines' totals as one bill made knowing everything.
    fresh = run(account, last, subs, [r for r, _ in records], [], history)
    assert per_period(billed, cycle) == per_period(list(fresh.lines), cycle)


def per_period(lines: list[InvoiceLine], cycle: BillCycle) -> dict[tuple[object, ...], tuple[Decimal, ...]]:
    """Gross, discount, amount and tax per subscription, billing period, kind of charge and price."""
    found: defaultdict[tuple[object, ...], list[Decimal]] = defaultdict(lambda: [D(0)] * 4)
    for line in lines:
        kind = "recurring" if line.kind in (LineKind.RECURRING, LineKind.RECURRING_CREDIT) else line.kind.value
        if kind == LineKind.USAGE_ADJUSTMENT.value:
            kind = LineKind.USAGE.value
        key = (line.subscription_id, cycle.period_containing(line.coverage.start).start, kind, line.price_name)
        for n, value in enumerate((line.gross, line.discount, line.amount, line.tax)):
            found[key][n] += value
    return {key: tuple(values) for key, values in found.items() if any(values)}


def check_full_period(sub: Subscription, cycle: BillCycle, span: BillingPeriod, billed: list[InvoiceLine]) -> None:
    """A period on one snapshot from its first to its last day costs exactly the monthly price."""
    segments = [s for s in sub.segments(cycle) if s.start <= span.start and (s.end is None or s.end >= span.end)]
    if not segments or segments[0].snapshot.promotion is not None:
        return
    gross = sum(
        (
            line.gross
            for line in billed
            if line.kind in (LineKind.RECURRING, LineKind.RECURRING_CREDIT)
            and line.subscription_id == sub.id
            and span.start <= line.coverage.start < span.end
        ),
        D(0),
    )
    assert gross == segments[0].snapshot.monthly_recurring


def test_the_properties_see_late_usage_and_changes() -> None:
    """The simulation above is not vacuous: one fixed history produces adjustments, credits and lines."""
    kinds: defaultdict[LineKind, int] = defaultdict(int)
    account = Account("a", "EUR", BillCycle(31, "Europe/Paris"))
    subs = [build(0, Plan(24 * 40, 0, [(24 * 20, 1)], 24 * 100))]
    records = [
        UsageRecord("u1", "s0", "GB", ORIGIN + timedelta(days=45), D(300)),
        UsageRecord("u2", "s0", "GB", ORIGIN + timedelta(days=46), D(50)),
    ]
    history = account.cycle.period_containing(date(2023, 11, 30)).start
    billed: list[InvoiceLine] = []
    for month, period in enumerate(account.cycle.periods(date(2024, 1, 1), date(2024, 6, 1))):
        draft = run(
            account, period, known_at(subs, period.starts_at), records[: 1 if month < 2 else 2], billed, history
        )
        billed += draft.lines
        for line in draft.lines:
            kinds[line.kind] += 1
    assert {LineKind.RECURRING, LineKind.RECURRING_CREDIT, LineKind.USAGE, LineKind.USAGE_ADJUSTMENT} <= kinds.keys()
