"""Proration: recurring charges by the day, and what a period still owes or gets back.

Recurring prices are per month and billed in advance for the whole billing period. A part of a
period is charged by local days: ``monthly * days / period_days``, so a full period is exactly the
monthly price whatever its length (28 to 31 days) and a DST change, a 23- or 25-hour day, changes
nothing. Rounding: what a period owes at one rate (price, monthly amount, promotion) is the
rounding of its complete charge at that rate, less what earlier lines billed at it; the lines that
bill it are each rounded on their own but the largest, which takes the rest
(:func:`~bss_bridge.domain.billing.lines.shares`). So an upgrade learnt after its month was billed
(30 days of the old price, then a credit of 29) leaves that month's old price at the rounding of
its one day, as if it had been billed in time; the gross and the discount alike.

Why a reconciliation rather than event-by-event credits: a period's recurring lines are the
difference between what its days *should* be billed at (from the subscription's timeline, as known
now) and what earlier invoices already billed for them (their lines). An upgrade is then a credit
of the old price and a charge of the new one for the remaining days; a termination a credit of the
unused days; a same-day change nothing but the last price of the day; a change recorded late is
corrected on the next invoice; and running it again after its lines are billed yields nothing
(idempotent, like Kill Bill's invoice repair, without its $0 blind spot: a zero price is compared
like any other and simply produces no line).

A promotion (of the snapshot a day is billed on) discounts the recurring charges of the days in
``[activation, activation + months)``, counted from the subscription's activation even after a
change (an upgrade does not restart it), the anchor clamped per month, never chained: ``percent``
of each charge, or ``value`` per month prorated like the charge and never more than it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from bss_bridge.domain.billing.cycles import BillCycle, BillingPeriod, months_after
from bss_bridge.domain.billing.lines import InvoiceLine, LineKind, LineSpec, rounded_difference, shares
from bss_bridge.domain.billing.subscriptions import Subscription
from bss_bridge.domain.pricing import DiscountKind, Promotion

ZERO = Decimal(0)
RECURRING_KINDS = (LineKind.RECURRING, LineKind.RECURRING_CREDIT)


def prorate(monthly: Decimal, days: int, period_days: int) -> Decimal:
    """``monthly * days / period_days``, unrounded; exactly ``monthly`` for the full period."""
    if days == period_days:
        return monthly
    return monthly * days / period_days


def promotion_discount(promotion: Promotion | None, gross: Decimal, days: int, period_days: int) -> Decimal:
    """The unrounded discount on a prorated charge ``gross``; never more than the charge."""
    if promotion is None or not gross:
        return ZERO
    if promotion.kind is DiscountKind.PERCENT:
        return gross * promotion.value / 100
    return min(prorate(promotion.value, days, period_days), gross)


@dataclass(frozen=True, slots=True)
class RateKey:
    """What one day of a recurring price is billed at."""

    price_name: str
    monthly: Decimal
    promotion: Promotion | None


@dataclass(frozen=True, slots=True)
class Run:
    """Days ``[start, end)`` of a period billed ``delta`` times more (negative: credited) at ``key``."""

    key: RateKey
    start: date
    end: date
    delta: int
    product: str


def expected_runs(subscription: Subscription, cycle: BillCycle, period: BillingPeriod) -> list[Run]:
    """What the period's days should be billed at, from the subscription's timeline."""
    runs: list[Run] = []
    activation = subscription.activation_date(cycle)
    for segment in subscription.segments(cycle):
        start = max(segment.start, period.start)
        end = period.end if segment.end is None else min(segment.end, period.end)
        if start >= end:
            continue
        promotion = segment.snapshot.promotion
        window_end = activation if promotion is None else months_after(activation, promotion.months)
        cuts = [start, window_end, end] if start < window_end < end else [start, end]
        for name, monthly in segment.snapshot.monthly_prices:
            for a, b in pairwise(cuts):
                key = RateKey(name, monthly, promotion if b <= window_end else None)
                runs.append(Run(key, a, b, 1, segment.snapshot.offering))
    return runs


def billed_runs(lines: Iterable[InvoiceLine]) -> list[Run]:
    """What earlier invoices' recurring lines billed (credits count negative)."""
    return [
        Run(RateKey(line.price_name, line.unit_price, line.promotion), line.coverage.start, line.coverage.end,
            int(line.quantity), line.product)
        for line in lines
        if line.kind in RECURRING_KINDS
    ]


def reconcile(expected: list[Run], billed: list[Run]) -> list[Run]:
    """Expected minus billed, day by day, merged into maximal runs per rate (credits first)."""
    bounds = sorted({r.start for r in (*expected, *billed)} | {r.end for r in (*expected, *billed)})
    products = {r.key: r.product for r in billed} | {r.key: r.product for r in expected}
    found: list[Run] = []
    for key in products:
        open_run: Run | None = None
        for a, b in pairwise(bounds):
            delta = sum(r.delta for r in expected if r.key == key and r.start <= a and b <= r.end)
            delta -= sum(r.delta for r in billed if r.key == key and r.start <= a and b <= r.end)
            if open_run is not None and open_run.delta == delta and open_run.end == a:
                open_run = Run(key, open_run.start, b, delta, open_run.product)
                continue
            if open_run is not None:
                found.append(open_run)
            open_run = Run(key, a, b, delta, products[key]) if delta else None
        if open_run is not None:
            found.append(open_run)
    return sorted(found, key=lambda r: (r.delta > 0, r.start, r.key.price_name))


def _charge(run: Run, period: BillingPeriod) -> tuple[Decimal, Decimal]:
    """What ``run`` adds, unrounded: its gross and its discount."""
    days = (run.end - run.start).days
    one = prorate(run.key.monthly, days, period.days)
    return run.delta * one, run.delta * promotion_discount(run.key.promotion, one, days, period.days)


def _rounded_to_complete(runs: list[Run], expected: list[Run], billed: list[InvoiceLine], period: BillingPeriod,
                         currency: str) -> tuple[list[Decimal], list[Decimal]]:
    """The runs' gross and discount in minor units, such that with what ``billed`` holds at the same
    rate they sum to the rounding of the period's complete charge at that rate."""
    own = [_charge(run, period) for run in runs]
    gross, discount = [ZERO] * len(runs), [ZERO] * len(runs)
    for key in {run.key for run in runs}:
        mine = [n for n, run in enumerate(runs) if run.key == key]
        complete = [_charge(run, period) for run in expected if run.key == key]
        done = [line for line in billed if RateKey(line.price_name, line.unit_price, line.promotion) == key]
        owed_gross = rounded_difference(sum((g for g, _ in complete), ZERO), sum((x.gross for x in done), ZERO),
                                        currency)
        owed_discount = rounded_difference(sum((d for _, d in complete), ZERO),
                                           sum((x.discount for x in done), ZERO), currency)
        for n, g, d in zip(mine, shares([own[n][0] for n in mine], owed_gross, currency),
                           shares([own[n][1] for n in mine], owed_discount, currency), strict=True):
            gross[n], discount[n] = g, d
    for n, (g, d) in enumerate(zip(gross, discount, strict=True)):  # a cent of rounding never makes a
        if d and ((d < 0) != (g < 0) or abs(d) > abs(g)):  # discount exceed its charge
            discount[n] = g if (d < 0) == (g < 0) else ZERO
    return gross, discount


def recurring_specs(
    subscription: Subscription, cycle: BillCycle, period: BillingPeriod, billed: Iterable[InvoiceLine], currency: str
) -> list[LineSpec]:
    """The recurring charges and credits a period still needs for one subscription (see the module
    docstring for their rounding).

    ``billed`` are the earlier invoices' lines of this subscription covering this period. They
    depend on its terms, not on its id: computed once per distinct terms, period and billed lines
    (a bill run has thousands of subscriptions sold alike), each then given its subscription."""
    lines = [line for line in billed if line.kind in RECURRING_KINDS]
    key = (subscription.terms, cycle, period, *((x.price_name, x.unit_price, x.promotion, x.coverage, x.quantity,
                                                 x.product, x.gross, x.discount) for x in lines), currency)
    specs = _SPECS.get(key)
    if specs is None:
        if len(_SPECS) >= MEMO:
            _SPECS.clear()
        found = _recurring_specs(subscription, cycle, period, lines, currency)
        specs = _SPECS[key] = tuple((spec, _other_fields(spec)) for spec in found)
    return [spec if spec.subscription_id == subscription.id else LineSpec(**others, subscription_id=subscription.id)
            for spec, others in specs]


MEMO = 4096
_SPECS: dict[tuple[object, ...], tuple[tuple[LineSpec, dict[str, Any]], ...]] = {}
_FIELDS = tuple(f.name for f in fields(LineSpec) if f.name != "subscription_id")


def _other_fields(spec: LineSpec) -> dict[str, Any]:
    """A spec's fields but its subscription: the spec of another subscription sold alike is these and its id."""
    return {name: getattr(spec, name) for name in _FIELDS}


def _recurring_specs(subscription: Subscription, cycle: BillCycle, period: BillingPeriod, billed: list[InvoiceLine],
                     currency: str) -> list[LineSpec]:
    expected = expected_runs(subscription, cycle, period)
    runs = [run for run in reconcile(expected, billed_runs(billed)) if run.key.monthly]  # a zero price: no line
    gross, discount = _rounded_to_complete(runs, expected, billed, period, currency)
    specs = []
    for n, run in enumerate(runs):
        days = (run.end - run.start).days
        span = cycle.span(run.start, run.end)
        share = "" if days == period.days else f", {days} of {period.days} days"
        promo = "" if run.key.promotion is None else f", {run.key.promotion.name}"
        what = f"{run.product}, {run.key.price_name} {span.shown}{share}{promo}"
        specs.append(
            LineSpec(
                kind=LineKind.RECURRING if run.delta > 0 else LineKind.RECURRING_CREDIT,
                description=what if run.delta > 0 else f"Credit for {what}",
                coverage=span,
                quantity=Decimal(run.delta),
                unit="month",
                unit_price=run.key.monthly,
                gross=gross[n],
                discount=discount[n],
                subscription_id=subscription.id,
                price_name=run.key.price_name,
                product=run.product,
                period_days=period.days,
                promotion=run.key.promotion,
            )
        )
    return specs
