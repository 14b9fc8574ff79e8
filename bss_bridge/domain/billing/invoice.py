"""Invoice assembly: one account, one billing period, everything it owes, as one pure function.

Why one pure function: a preview that is computed differently from the invoice drifts from it
(a Kill Bill dry-run ignored the bill cycle day and previewed another invoice). Here the preview
and the bill run both call :func:`assemble_invoice` on the same :class:`BillingInput`; it reads no
clock and no storage and its output does not depend on the order of its inputs, so the preview
*is* the invoice the run then makes, and a run repeated with the lines it made among ``billed``
makes nothing new.

The invoice of period ``P`` (dated ``P.start``) holds:

- one-time charges of subscriptions activated before ``P.end``, once each;
- recurring charges *in advance* for ``P``, and the corrections of earlier periods (upgrades,
  downgrades, terminations, changes recorded late) as credits and charges (see ``proration``);
- usage *in arrears* for the period before ``P`` (kind ``usageCharge``) and late usage of earlier
  periods (``usageAdjustment``: the difference its rating makes, never an edit of a sent invoice).
  Usage comes as each group's *complete* total (:class:`UsageTotal`), of which earlier lines are
  subtracted, so a group given again adds nothing; usage of ``P`` itself is not due yet and is
  left for the next invoice (``usage_deferred``);
- SLA credits of earlier periods for which availability data is given;
- the operator's adjustments, once each (by id).

**The history window.** Corrections reach back to ``history_from`` (a period start; by default the
period before ``P``). The caller passes in ``billed`` every earlier line covering a date from
``history_from`` on; periods before it are closed. Usage of a closed period is an error (widen the
window), never a silent loss. Usage that cannot be billed (unknown or inactive subscription, no
price for its unit) is reported in ``usage_unbilled`` and stays with the caller.

**Tax.** A line of the invoice's own period is taxed on ``account.tax`` (the caller's terms for
that period). A line of an earlier period that was already invoiced (a credit for a termination
recorded late, late usage, usage in arrears, an SLA credit) is taxed at the rate that period was
invoiced at, taken from its ``billed`` lines (the rate most of its taxed lines carry; none taxed:
0): a credit gives back the tax that was charged, and a period's supply keeps its rate when the
account's rate changes afterwards (a rate change on 1 February does not reach January's usage
billed on 1 February). An earlier period never invoiced (an activation recorded late) is taxed on
its own terms as the caller knows them now (``period_tax``; without them, ``account.tax``).

An exemption has a validity window, and a period is exempt when its first instant is in it (as
``account.tax`` is for the invoice's own period). The caller gives in ``period_tax`` the terms of
each earlier period of the history window as known now, and marks ``changed`` those whose
exemption status changed since they were invoiced (an exemption recorded, shortened or removed
after their bill). A period exempt now is taxed on its exemption; a changed period that is not,
at the rate it is owed (the caller's: the rate of when it was billed). Each billed line of a
changed period gets a correction: a line of no amount that copies the line (kind, coverage,
subscription, product, price, part, reference, unit price, promotion: its tax group, so the
group's later lines count it) and whose tax is what the line owes now less what it was charged,
the tax given back when newly exempt (exactly the line's), charged when no longer exempt (the
line's share of its group's tax at the period's terms, rounded once as ``make_line`` rounds a
group's lines in order, so the period's tax is, to the cent, that of an invoice made knowing the
exemption). It shows the rate of the tax it gives back or charges. What a line was charged
counts its earlier corrections (they copy it: an exemption withdrawn, then granted again, corrects
the line again, never a correction). A line whose tax is already what it owes gets none, nor does
any line of a group whose tax is: each correction is made once, and an invoice repeated makes none
again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Protocol, TypeVar

from bss_bridge.domain.billing.charges import Scope, burstable_specs, one_time_specs, sla_specs, usage_specs
from bss_bridge.domain.billing.cycles import BillCycle, BillingPeriod
from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.billing.lines import (
    ZERO,
    InvoiceLine,
    LineKind,
    LineSpec,
    TaxTerms,
    Totals,
    make_line,
    tax_group,
    taxed_together,
    totals,
)
from bss_bridge.domain.billing.proration import recurring_specs
from bss_bridge.domain.billing.sla import MaintenanceWindow, Outage
from bss_bridge.domain.billing.subscriptions import Subscription, sole
from bss_bridge.domain.billing.usage import SampleSet, UsageKey, UsageTotal
from bss_bridge.domain.money import check_currency, to_decimal


@dataclass(frozen=True, slots=True)
class Account:
    """A billing account as billing needs it (TMF666): currency, bill cycle and tax."""

    id: str
    currency: str
    cycle: BillCycle
    tax: TaxTerms = field(default_factory=TaxTerms)

    def __post_init__(self) -> None:
        check_currency(self.currency)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """An operator's correction dated ``on``: a charge, or a credit when ``amount`` is negative."""

    id: str
    description: str
    amount: Decimal
    on: date
    subscription_id: str | None = None

    def __post_init__(self) -> None:
        to_decimal(self.amount)
        if not self.id or not self.description.strip():
            raise InvalidBillingInputError("an adjustment needs an id (its idempotency key) and a description")


@dataclass(frozen=True, slots=True)
class AvailabilityReport:
    """The outages and maintenance windows of one subscription over one billing period."""

    subscription_id: str
    period_start: date
    outages: tuple[Outage, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()


@dataclass(frozen=True, slots=True)
class PeriodTax:
    """The tax of an earlier period (starting on local date ``start``) as known now, and whether
    its exemption status changed since it was invoiced (see the module docstring, "Tax")."""

    start: date
    tax: TaxTerms
    changed: bool = False


@dataclass(frozen=True, slots=True)
class BillingInput:
    """Everything one invoice is computed from (see the module docstring for each part)."""

    account: Account
    period: BillingPeriod
    subscriptions: tuple[Subscription, ...] = ()
    usage: tuple[UsageTotal, ...] = ()
    samples: tuple[SampleSet, ...] = ()
    availability: tuple[AvailabilityReport, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    billed: tuple[InvoiceLine, ...] = ()
    history_from: date | None = None
    period_tax: tuple[PeriodTax, ...] = ()


@dataclass(frozen=True, slots=True)
class UnbilledUsage:
    key: UsageKey
    reason: str


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """The invoice a bill run issues (or a preview shows): its lines, their totals, and what it
    billed (``usage_billed``: mark those groups' records billed), deferred or could not bill."""

    account_id: str
    currency: str
    period: BillingPeriod
    lines: tuple[InvoiceLine, ...]
    totals: Totals
    tax_exemption: str | None
    usage_billed: tuple[UsageKey, ...]
    usage_deferred: tuple[UsageKey, ...]
    usage_unbilled: tuple[UnbilledUsage, ...]
    adjustments_applied: tuple[str, ...]


def assemble_invoice(given: BillingInput) -> InvoiceDraft:
    """The invoice of ``given.period`` for ``given.account`` (see the module docstring)."""
    account, cycle, currency = given.account, given.account.cycle, given.account.currency
    period = cycle.check_period(given.period)
    history = _history_start(cycle, period, given.history_from)
    periods = cycle.periods(history, period.end)
    arrears = cycle.preceding(period)
    subscriptions = sole(sorted(given.subscriptions, key=lambda s: s.id))
    for sub in subscriptions.values():
        if any(p.currency != currency for snapshot in sub.snapshots for p in snapshot.prices):
            raise InvalidBillingInputError(f"subscription {sub.id} has prices in another currency than {currency}")
    billed = _billed_by_period(given.billed, cycle, history, period)
    usage, deferred, unbilled = _sort_usage(given, cycle, history, period, subscriptions)
    samples = _due(given.samples, "rate samples of", cycle, history, period)
    reports = _due(given.availability, "availability of", cycle, history, period)
    for sub_id, start in sorted(k for k in samples if k[0] not in subscriptions):
        unbilled.append(UnbilledUsage(UsageKey(sub_id, "Mbit/s", start), "unknown subscription"))
    if unknown := sorted({sub_id for sub_id, _ in reports} - subscriptions.keys()):
        raise InvalidBillingInputError(f"availability reported for unknown subscriptions: {', '.join(unknown)}")

    specs: list[LineSpec] = []
    usage_billed: list[UsageKey] = []
    for sub in subscriptions.values():
        if history <= sub.activation_date(cycle) < period.end:
            specs += one_time_specs(sub, cycle, billed[sub.id, cycle.period_containing(sub.activation_date(cycle))])
        for span in periods:
            scope = Scope(sub, cycle, span, tuple(billed[sub.id, span]), currency)
            specs += recurring_specs(sub, cycle, span, scope.billed, currency)
            if span.start >= period.start:
                continue
            kind = LineKind.USAGE if span == arrears else LineKind.USAGE_ADJUSTMENT
            for total in usage.get((sub.id, span.start), []):
                found, unbillable = usage_specs(scope, total.key.unit, total.quantity, kind)
                specs += found
                if unbillable:
                    unbilled.append(UnbilledUsage(total.key, unbillable))
                else:
                    usage_billed.append(total.key)
            sample_set = samples.get((sub.id, span.start))
            if sample_set is not None:
                found, unbillable = burstable_specs(scope, sample_set.samples, kind)
                specs += found
                if unbillable:
                    unbilled.append(UnbilledUsage(UsageKey(sub.id, "Mbit/s", span.start), unbillable))
                else:
                    usage_billed.append(UsageKey(sub.id, "Mbit/s", span.start))
            report = reports.get((sub.id, span.start))
            if report is not None:
                specs += sla_specs(scope, report.outages, report.maintenance)
    applied = _adjustments(given, cycle, specs)
    lines = _make_lines(specs, billed, cycle, period, currency, account.tax, _period_tax(given, cycle, history))
    return InvoiceDraft(
        account_id=account.id,
        currency=currency,
        period=period,
        lines=lines,
        totals=totals(lines, currency),
        tax_exemption=account.tax.exemption,
        usage_billed=tuple(usage_billed),
        usage_deferred=tuple(deferred),
        usage_unbilled=tuple(unbilled),
        adjustments_applied=applied,
    )


def _history_start(cycle: BillCycle, period: BillingPeriod, history_from: date | None) -> date:
    if history_from is None:
        return cycle.preceding(period).start
    if cycle.period_containing(history_from).start != history_from or history_from > period.start:
        raise InvalidBillingInputError(
            f"history_from {history_from} must be the start of a billing period no later than {period.start}"
        )
    return history_from


Billed = defaultdict[tuple[str | None, BillingPeriod], list[InvoiceLine]]


def _billed_by_period(
    lines: tuple[InvoiceLine, ...], cycle: BillCycle, history: date, period: BillingPeriod
) -> Billed:
    found: Billed = defaultdict(list)
    for line in sorted(lines, key=_line_order):  # the draft must not depend on the order lines were loaded in
        if line.coverage.start >= period.end:
            raise InvalidBillingInputError(
                f"an earlier line covers {line.coverage}, after this invoice's period {period}: bill periods in order"
            )
        if line.coverage.start >= history:
            found[line.subscription_id, cycle.period_containing(line.coverage.start)].append(line)
    return found


def _period_tax(given: BillingInput, cycle: BillCycle, history: date) -> dict[date, PeriodTax]:
    found: dict[date, PeriodTax] = {}
    for item in given.period_tax:
        if item.start in found:
            raise InvalidBillingInputError(f"the tax of the period starting {item.start} is given twice")
        _check_period_start(cycle, item.start, history, "period_tax")
        if item.start >= given.period.start:
            raise InvalidBillingInputError(f"period_tax: {item.start} is not a period before {given.period}")
        found[item.start] = item
    return found


def _make_lines(specs: list[LineSpec], billed: Billed, cycle: BillCycle, period: BillingPeriod, currency: str,
                terms: TaxTerms, period_tax: dict[date, PeriodTax]) -> tuple[InvoiceLine, ...]:
    """Each spec rounded into its line (see "Tax" above): a line of an earlier period at that
    period's terms (``_terms_of``), the others on ``terms``; its tax its share of its group's
    (``taxed_together``), counting the group's billed lines and the lines made before it. First,
    the tax corrections of the periods whose exemption status changed (they come last on the
    invoice), so the lines after them are taxed on the group's corrected tax."""
    spans: dict[date, BillingPeriod] = {}
    invoiced: dict[date, TaxTerms] = {}
    made: Billed = defaultdict(list)  # the lines made so far, where ``billed`` holds the billed ones
    corrections = _tax_corrections(billed, period_tax, currency)
    for key, line in corrections:
        made[key].append(line)
    lines = []
    for spec in specs:
        day = spec.coverage.start
        span = spans.get(day)
        if span is None:
            span = spans[day] = cycle.period_containing(day)
        tax = terms
        if span.start < period.start:
            tax = invoiced.get(span.start) or invoiced.setdefault(
                span.start, _terms_of(billed, span, terms, period_tax)
            )
        where = (spec.subscription_id, span)
        amount = charged = ZERO  # of the spec's group before it
        earlier, mine = billed.get(where), made.get(where)
        if earlier or mine:
            for line in (*(earlier or ()), *(mine or ())):
                if taxed_together(line, spec):
                    amount, charged = amount + line.amount, charged + line.tax
        line = make_line(spec, currency, tax, (amount, charged))
        made[where].append(line)
        lines.append(line)
    return (*lines, *(line for _, line in corrections))


def _terms_of(billed: Billed, span: BillingPeriod, terms: TaxTerms, period_tax: dict[date, PeriodTax]) -> TaxTerms:
    """What a line of the earlier period ``span`` is taxed at (see "Tax" above)."""
    now = period_tax.get(span.start)
    rates = _rates(line for (_, billed_span), lines in billed.items() if billed_span == span for line in lines)
    if rates is None:  # never invoiced
        return terms if now is None else now.tax
    if now is not None and (now.tax.exemption is not None or now.changed):
        return now.tax
    return TaxTerms(rates)


def _rates(lines: Iterable[InvoiceLine]) -> Decimal | None:
    """The rate most of the taxed lines carry (the highest of those as many, whatever order they
    were given in); 0 when none is taxed; None when there are no lines."""
    rates = Counter(line.tax_rate for line in lines)
    if not rates:
        return None
    taxed = [(count, rate) for rate, count in rates.items() if rate]
    return max(taxed)[1] if taxed else ZERO


CORRECTED = ": tax corrected ("  # after the description of the line a correction of tax alone is for


def _tax_corrections(
    billed: Billed, period_tax: dict[date, PeriodTax], currency: str
) -> list[tuple[tuple[str | None, BillingPeriod], InvoiceLine]]:
    """For each billed line of a period whose exemption status changed, a line of no amount whose
    tax is what the line owes now (its share of its group's tax at the period's terms) less what it
    was charged, its earlier corrections included, unless that is nothing (nor for any line of a
    group whose tax is already what it owes); with where each belongs in ``made``."""
    found: list[tuple[tuple[str | None, BillingPeriod], InvoiceLine]] = []
    if not any(t.changed for t in period_tax.values()):  # mostly: a bill run's hot path
        return found
    for (subscription_id, span), lines in sorted(billed.items(), key=lambda item: (item[0][1].start, item[0][0] or "")):
        now = period_tax.get(span.start)
        if now is None or not now.changed:
            continue
        groups: dict[tuple[object, ...], list[InvoiceLine]] = defaultdict(list)
        for line in lines:  # in ``_line_order``
            groups[tax_group(line)].append(line)
        for group in groups.values():
            for line, tax in _corrected(group, now.tax, currency):
                rate = now.tax.effective_rate or line.tax_rate  # shown: the rate of the tax given back
                why = now.tax.exemption or f"no longer exempt, {rate.normalize():f} %"
                found.append(((subscription_id, span), replace(
                    tax, description=f"{line.description}{CORRECTED}{why})", tax_rate=rate)))
    return found


def _corrected(group: list[InvoiceLine], terms: TaxTerms, currency: str) -> list[tuple[InvoiceLine, InvoiceLine]]:
    """The lines of a tax group (in ``_line_order``) whose tax differs from their share of the
    group's at ``terms``, each with its correction (``make_line`` of no amount, after the lines
    before it corrected); none if the group's tax is already what it owes. A correction of tax
    alone (no quantity, no amount) counts with the line it corrected."""
    amount = sum((x.amount for x in group), ZERO)
    if not make_line(_nothing_more(group[-1]), currency, terms, (amount, sum((x.tax for x in group), ZERO))).tax:
        return []
    lines = [x for x in group if x.quantity or x.amount]
    charged = [x.tax for x in lines]
    for fix in group:
        if lines and not fix.quantity and not fix.amount:  # a correction: of the line it copies, else the last
            n = next((n for n, x in enumerate(lines) if x.kind is fix.kind and x.coverage == fix.coverage
                      and fix.description.startswith(x.description + CORRECTED)), len(lines) - 1)
            charged[n] += fix.tax
    found = []
    amount = tax = ZERO  # of the group's lines so far, corrected
    for line, was in zip(lines, charged, strict=True):
        amount, tax = amount + line.amount, tax + was
        correction = make_line(_nothing_more(line), currency, terms, (amount, tax))
        tax += correction.tax
        if correction.tax:
            found.append((line, correction))
    return found


def _nothing_more(line: InvoiceLine) -> LineSpec:
    """A spec of no amount that copies ``line`` (its tax group, kind and coverage)."""
    return LineSpec(kind=line.kind, description=line.description, coverage=line.coverage, quantity=ZERO,
                    unit=line.unit, unit_price=line.unit_price, gross=ZERO, subscription_id=line.subscription_id,
                    product=line.product, price_name=line.price_name, part=line.part, period_days=line.period_days,
                    promotion=line.promotion, reference=line.reference)


def _line_order(line: InvoiceLine) -> tuple[object, ...]:
    return (line.coverage.start, line.coverage.end, line.kind, line.subscription_id or "", line.product,
            line.price_name, line.part, line.description, line.quantity, line.gross, line.discount)


def _check_period_start(cycle: BillCycle, start: date, history: date, what: str) -> None:
    if cycle.period_containing(start).start != start:
        raise InvalidBillingInputError(f"{what}: {start} is not the start of a billing period")
    if start < history:
        raise InvalidBillingInputError(
            f"{what}: period {start} is before the history window ({history}); pass an earlier history_from "
            "with the lines billed since"
        )


def _sort_usage(
    given: BillingInput, cycle: BillCycle, history: date, period: BillingPeriod, subs: dict[str, Subscription]
) -> tuple[dict[tuple[str, date], list[UsageTotal]], list[UsageKey], list[UnbilledUsage]]:
    due: dict[tuple[str, date], list[UsageTotal]] = defaultdict(list)
    deferred: list[UsageKey] = []
    unbilled: list[UnbilledUsage] = []
    seen: set[UsageKey] = set()
    for total in sorted(given.usage, key=lambda t: (t.key.subscription_id, t.key.period_start, t.key.unit)):
        key = total.key
        if key in seen:
            raise InvalidBillingInputError(f"usage of {key} is given twice; pass one total per group")
        seen.add(key)
        if key.period_start >= period.start:
            if cycle.period_containing(key.period_start).start != key.period_start:
                raise InvalidBillingInputError(f"usage of {key}: not the start of a billing period")
            deferred.append(key)
            continue
        _check_period_start(cycle, key.period_start, history, f"usage of {key}")
        if key.subscription_id not in subs:
            unbilled.append(UnbilledUsage(key, "unknown subscription"))
        else:
            due[key.subscription_id, key.period_start].append(total)
    return due, deferred, unbilled


class _PerPeriod(Protocol):
    @property
    def subscription_id(self) -> str: ...

    @property
    def period_start(self) -> date: ...


PerPeriod = TypeVar("PerPeriod", bound=_PerPeriod)


def _due(
    items: tuple[PerPeriod, ...], what: str, cycle: BillCycle, history: date, period: BillingPeriod
) -> dict[tuple[str, date], PerPeriod]:
    """The items of periods already over, by subscription and period; those of ``period`` or later
    are not due yet and stay with the caller for the next invoice."""
    found: dict[tuple[str, date], PerPeriod] = {}
    for item in items:
        key = (item.subscription_id, item.period_start)
        label = f"{what} {item.subscription_id} in {item.period_start}"
        if key in found:
            raise InvalidBillingInputError(f"{label} is given twice")
        if item.period_start < period.start:
            _check_period_start(cycle, item.period_start, history, label)
            found[key] = item
    return found


def _adjustments(given: BillingInput, cycle: BillCycle, specs: list[LineSpec]) -> tuple[str, ...]:
    done = {line.reference for line in given.billed if line.kind is LineKind.ADJUSTMENT}
    applied: list[str] = []
    for adjustment in sorted(given.adjustments, key=lambda a: a.id):
        if adjustment.id in applied:
            raise InvalidBillingInputError(f"adjustment {adjustment.id} is given twice")
        if adjustment.id in done:
            continue
        applied.append(adjustment.id)
        specs.append(LineSpec(kind=LineKind.ADJUSTMENT, description=adjustment.description,
                              coverage=cycle.span(adjustment.on, adjustment.on), quantity=Decimal(1), unit="each",
                              unit_price=adjustment.amount, gross=adjustment.amount,
                              subscription_id=adjustment.subscription_id, reference=adjustment.id))
    return tuple(applied)
