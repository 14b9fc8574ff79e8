"""The unrounded line specs of one subscription and one period, other than recurring charges
(:mod:`~bss_bridge.domain.billing.proration`): one-time charges, usage in arrears, burstable usage
and SLA credits. Each compares what the period should be billed (rated from its complete inputs)
with what its earlier lines already billed, part by part, and returns only the difference: first
time the whole charge, after late usage or a late outage the adjustment, after nothing new nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from bss_bridge.domain.billing.cycles import BillCycle, BillingPeriod
from bss_bridge.domain.billing.lines import InvoiceLine, LineKind, LineSpec, rounded_difference
from bss_bridge.domain.billing.proration import expected_runs, promotion_discount, prorate
from bss_bridge.domain.billing.rating import MBPS, RatedPart, rate_burstable, rate_quantity
from bss_bridge.domain.billing.sla import MaintenanceWindow, Outage, availability, credit_percent
from bss_bridge.domain.billing.subscriptions import PriceSnapshot, Subscription, Terms
from bss_bridge.domain.billing.usage import RateSample
from bss_bridge.domain.pricing import BurstableUsage, GraduatedUsage, OneTimeCharge, PerUnitUsage, Price, VolumeUsage

ZERO = Decimal(0)
USAGE_KINDS = (LineKind.USAGE, LineKind.USAGE_ADJUSTMENT)


@dataclass(frozen=True, slots=True)
class Scope:
    """One subscription in one billing period, with what earlier invoices billed for it there."""

    subscription: Subscription
    cycle: BillCycle
    period: BillingPeriod
    billed: tuple[InvoiceLine, ...]
    currency: str

    def active_days(self) -> tuple[date, date] | None:
        """The local dates ``[start, end)`` of the period the subscription was active on."""
        start = max(self.subscription.activation_date(self.cycle), self.period.start)
        ended = self.subscription.termination_date(self.cycle)
        end = self.period.end if ended is None else min(ended, self.period.end)
        return (start, end) if start < end else None

    def snapshot(self) -> PriceSnapshot | None:
        """The terms on the period's last active day: those usage and SLA are rated on."""
        return _snapshot_of(self.subscription.terms, self.cycle, self.period)


@lru_cache(maxsize=4096)  # keyed by the subscription's terms, not its id: thousands are sold alike
def _snapshot_of(terms: Terms, cycle: BillCycle, period: BillingPeriod) -> PriceSnapshot | None:
    subscription = Subscription("", *terms)
    days = Scope(subscription, cycle, period, (), "XXX").active_days()
    if days is None:
        return None
    last = days[1] - timedelta(days=1)
    segment = next(s for s in subscription.segments(cycle) if s.start <= last and (s.end is None or last < s.end))
    return segment.snapshot


def one_time_specs(subscription: Subscription, cycle: BillCycle, billed: Iterable[InvoiceLine]) -> list[LineSpec]:
    """The activation's one-time prices (of the snapshot that ended the activation day) not yet
    billed, and back what earlier lines billed of other terms' (a change of the activation day
    recorded after its bill: the in-time bill charged only the final terms'). A charge is its
    offering and price."""
    done: dict[tuple[str, str], tuple[Decimal, InvoiceLine]] = {}
    for line in billed:
        if line.kind is LineKind.ONE_TIME and line.subscription_id == subscription.id:
            gross, _ = done.get((line.product, line.price_name), (ZERO, line))
            done[line.product, line.price_name] = (gross + line.gross, line)
    snapshot = subscription.first_snapshot(cycle)
    day = subscription.activation_date(cycle)
    specs = []
    due = set()
    for price in snapshot.one_time:
        if not isinstance(price.component, OneTimeCharge) or not price.component.amount:
            continue
        due.add((snapshot.offering, price.name))
        if (snapshot.offering, price.name) in done:
            continue
        amount = price.component.amount
        specs.append(LineSpec(kind=LineKind.ONE_TIME, description=f"{snapshot.offering}, {price.name} ({day})",
                              coverage=cycle.span(day, day), quantity=Decimal(1), unit="each", unit_price=amount,
                              gross=amount, subscription_id=subscription.id, product=snapshot.offering,
                              price_name=price.name))
    for (product, name), (gross, line) in done.items():
        if (product, name) not in due and gross:
            specs.append(LineSpec(kind=LineKind.ONE_TIME, description=f"Credit for {product}, {name} ({day})",
                                  coverage=line.coverage, quantity=Decimal(-1), unit="each", unit_price=gross,
                                  gross=-gross, subscription_id=subscription.id, product=product, price_name=name))
    return specs


Rated = tuple[PriceSnapshot, Price, Sequence[RatedPart]]


def _delta_specs(scope: Scope, unit: str, rated: Rated | None, kind: LineKind) -> list[LineSpec]:
    """What the period's usage of ``unit``'s measure (volumes, or rates in Mbit/s) still adds: the
    parts ``rated`` now (by an offering's price; None: nothing prices it now) less every part the
    earlier lines billed of that measure. A part is its offering, price, part and unit, so one
    billed under other terms (a change recorded after the bill: another offering, price or unit,
    or none at all) is given back under its own name, and the parts of the terms known now are
    billed whole."""
    rates = unit == MBPS
    billed: dict[tuple[str, str, str, str], tuple[Decimal, Decimal, InvoiceLine]] = {}
    for line in scope.billed:
        if line.kind in USAGE_KINDS and (line.unit == MBPS) == rates:
            key = (line.product, line.price_name, line.part, line.unit)
            quantity, gross, _ = billed.get(key, (ZERO, ZERO, line))
            billed[key] = (quantity + line.quantity, gross + line.gross, line)
    by_part: dict[tuple[str, str, str, str], RatedPart] = {}
    if rated is not None:
        snapshot, price, parts = rated
        by_part = {(snapshot.offering, price.name, p.part, unit): p for p in parts}
    specs = []
    for key in [*by_part, *(k for k in billed if k not in by_part)]:
        product, price_name, part, part_unit = key
        now = by_part.get(key)
        done_quantity, done_gross, sample = billed.get(key, (ZERO, ZERO, None))
        quantity = (now.quantity if now else ZERO) - done_quantity
        gross = rounded_difference(now.amount if now else ZERO, done_gross, scope.currency)
        if not quantity and not gross:
            continue
        if now is not None:
            description, unit_price = now.description, now.unit_price
        else:  # a part the terms known now do not have (they changed, a volume tier was left): given back
            assert sample is not None
            description, unit_price = f"{part} billed before, reversed ({done_quantity} {part_unit})", sample.unit_price
        specs.append(LineSpec(kind=kind, description=f"{product}, {price_name} {scope.period.shown}: {description}",
                              coverage=scope.period, quantity=quantity, unit=part_unit, unit_price=unit_price,
                              gross=gross, subscription_id=scope.subscription.id, product=product,
                              price_name=price_name, part=part))
    return specs


def usage_specs(scope: Scope, unit: str, quantity: Decimal, kind: LineKind) -> tuple[list[LineSpec], str | None]:
    """The lines the period's usage of ``unit`` (its complete total, billed or not) still adds, and
    why it cannot be billed (None: it is). Given the same total again, it adds nothing; usage that
    cannot be billed now gives back what earlier lines billed of it."""
    snapshot = scope.snapshot()
    if snapshot is None:
        return _delta_specs(scope, unit, None, kind), "the subscription was not active in that period"
    price = snapshot.usage_price(unit)
    if price is None or not isinstance(price.component, (PerUnitUsage, GraduatedUsage, VolumeUsage)):
        return _delta_specs(scope, unit, None, kind), f"{snapshot.offering} has no usage price for {unit}"
    return _delta_specs(scope, unit, (snapshot, price, rate_quantity(price.component, quantity)), kind), None


def burstable_specs(
    scope: Scope, samples: Sequence[RateSample], kind: LineKind
) -> tuple[list[LineSpec], str | None]:
    """The lines the period's rate samples (all of them, on its active days) add, and why they
    cannot be billed (None: they are), as :func:`usage_specs`."""
    snapshot = scope.snapshot()
    days = scope.active_days()
    if snapshot is None or days is None:
        return _delta_specs(scope, MBPS, None, kind), "the subscription was not active in that period"
    price = snapshot.usage_price(MBPS)
    if price is None or not isinstance(price.component, BurstableUsage):
        return _delta_specs(scope, MBPS, None, kind), f"{snapshot.offering} has no burstable price"
    start, end = scope.cycle.start_of(days[0]), scope.cycle.start_of(days[1])
    kept = [s for s in samples if start <= s.at < end]
    expected = rate_burstable(price.component, [s.inbound_mbps for s in kept], [s.outbound_mbps for s in kept])
    return _delta_specs(scope, MBPS, (snapshot, price, expected), kind), None


def recurring_net(scope: Scope) -> Decimal:
    """The period's recurring charge after promotions, unrounded: what an SLA credit is a share of."""
    total = ZERO
    for run in expected_runs(scope.subscription, scope.cycle, scope.period):
        days = (run.end - run.start).days
        gross = prorate(run.key.monthly, days, scope.period.days)
        total += gross - promotion_discount(run.key.promotion, gross, days, scope.period.days)
    return total


def sla_specs(scope: Scope, outages: Sequence[Outage], maintenance: Sequence[MaintenanceWindow]) -> list[LineSpec]:
    """The SLA credit the period's availability earns, less what earlier lines credited for it; a
    credit of terms that no longer apply (a change recorded after the bill: terms without an SLA,
    or no active day in the period) is taken back, as the bill made in time credited nothing."""
    snapshot, days = scope.snapshot(), scope.active_days()
    credited = [line for line in scope.billed if line.kind is LineKind.SLA_CREDIT]
    done = sum((line.gross for line in credited), ZERO)
    if snapshot is None or days is None or snapshot.sla is None:
        if not done:
            return []
        last = credited[-1]
        why = "no SLA on the terms of the period" if days is not None else "not active in the period"
        what = f"{last.product}, SLA credit {scope.period.shown} credited before, taken back ({why})"
        return [LineSpec(kind=LineKind.SLA_CREDIT, coverage=last.coverage, quantity=Decimal(-1), unit="each",
                         description=what,
                         unit_price=done, gross=-done, subscription_id=scope.subscription.id,
                         product=last.product, part="sla")]
    window = (scope.cycle.start_of(days[0]), scope.cycle.start_of(days[1]))
    measured = availability(window, outages, maintenance)
    percent = credit_percent(snapshot.sla, measured.percent)
    base = recurring_net(scope)
    gross = rounded_difference(-base * percent / 100, done, scope.currency)
    if not gross:
        return []
    description = (
        f"{snapshot.offering}, SLA credit {scope.period.shown}: availability {measured.shown} % "
        f"(target {snapshot.sla.availability_target_pct} %), {percent} % of the recurring charge"
    )
    return [LineSpec(kind=LineKind.SLA_CREDIT, description=description, coverage=scope.cycle.span(*days),
                     quantity=percent, unit="%", unit_price=-base / 100, gross=gross,
                     subscription_id=scope.subscription.id, product=snapshot.offering, part="sla")]
