"""What one invoice is computed from, read from storage: the account's subscriptions as billing
sees them, the lines already issued, the usage groups, rate samples and SLA inputs of the history
window. The maths is :func:`~bss_bridge.domain.billing.invoice.assemble_invoice`; this only loads.

**The history window** starts at the earliest of: the period before the one billed (its usage is
due now), the earliest period with rated usage not billed yet (late usage becomes an adjustment
however late it is), and the period of the earliest change to a subscription recorded since the
account's last bill (a termination or an upgrade recorded late is corrected). Lines are loaded from
there on, so every correction is reconciled against everything billed for the same days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from bss_bridge.domain.billing.charges import Scope
from bss_bridge.domain.billing.cycles import BillCycle, BillingPeriod
from bss_bridge.domain.billing.invoice import Account, AvailabilityReport, BillingInput
from bss_bridge.domain.billing.lines import InvoiceLine, LineKind, TaxTerms
from bss_bridge.domain.billing.metering import in_unit, volume_unit
from bss_bridge.domain.billing.subscriptions import Subscription as Billed
from bss_bridge.domain.billing.usage import RateSample, SampleSet, UsageKey, UsageTotal
from bss_bridge.domain.billing_view import billed, billing_cycle
from bss_bridge.domain.party import BillingAccount
from bss_bridge.domain.pricing import SlaTerms
from bss_bridge.domain.subscription import Subscription
from bss_bridge.storage import sla_store
from bss_bridge.storage.billing_repository import billed_lines
from bss_bridge.storage.usage_store import GroupTotal, UsageStore

MBPS = "Mbit/s"


@dataclass
class AccountBook:
    """One account as a bill run sees it."""

    account: BillingAccount
    cycle: BillCycle
    subscriptions: list[Subscription]
    billed: list[Billed]
    last_billed: tuple[date, date, datetime] | None
    pending_usage: date | None
    issued: list[InvoiceLine] = field(default_factory=list)  # lines issued earlier in this run

    def first_period(self) -> BillingPeriod | None:
        if not self.billed:
            return None
        return self.cycle.period_containing(min(s.activation_date(self.cycle) for s in self.billed))

    def due(self, as_of: datetime) -> list[BillingPeriod]:
        """The periods not billed yet whose start has come by ``as_of``, in order."""
        first = self.first_period()
        if first is None:
            return []
        start = self.last_billed[1] if self.last_billed else first.start
        target = self.cycle.period_at(as_of)
        return [p for p in self.cycle.periods(start, target.end) if p.start <= target.start]

    def tax(self, at: datetime) -> TaxTerms:
        exemption = self.account.terms.tax_exemption
        if exemption is not None and exemption.valid_for.contains(at):
            reason = exemption.reason or f"certificate {exemption.certificate}".strip()
            return TaxTerms(exemption=f"exempt ({exemption.jurisdiction}): {reason}")
        return TaxTerms(self.account.terms.tax_rate_pct)


def book(
    account: BillingAccount,
    subscriptions: list[Subscription],
    slas: dict[str, SlaTerms | None],
    last_billed: tuple[date, date, datetime] | None,
    pending_usage: date | None,
) -> AccountBook:
    views = [
        view
        for s in subscriptions
        if s.specification_id is not None and (view := billed(s, slas.get(s.offering_id))) is not None
    ]
    return AccountBook(account, billing_cycle(account), subscriptions, views, last_billed, pending_usage)


def history_start(b: AccountBook, period: BillingPeriod) -> date:
    cycle = b.cycle
    start = cycle.preceding(period).start
    if b.pending_usage is not None:
        start = min(start, cycle.period_containing(b.pending_usage).start)
    if b.last_billed is not None:
        for s in b.subscriptions:
            if s.updated_at <= b.last_billed[2] or s.start_date is None:
                continue
            changed = [t.start for t in s.terms[1:] if t.start is not None] + [s.termination_date]
            for moment in (m for m in changed if m is not None):
                start = min(start, cycle.period_at(moment).start)
    return start


def _usage(
    store: UsageStore, b: AccountBook, cycle: BillCycle, history: date, period: BillingPeriod, currency: str
) -> tuple[list[UsageTotal], list[SampleSet], dict[tuple[str, str, date], GroupTotal]]:
    subs = {s.id: s for s in b.billed}
    totals, sample_sets, groups = [], [], {}
    for group in store.groups([b.account.id], history, period.start):
        if group.max_id <= group.billed_through:
            continue
        groups[group.subscription_id, group.kind, group.period_start] = group
        sub = subs.get(group.subscription_id)
        if group.kind == "rate":
            rows = store.samples(group.subscription_id, group.period_start, group.max_id)
            samples = tuple(RateSample(group.subscription_id, at, inbound, outbound) for at, inbound, outbound in rows)
            sample_sets.append(SampleSet(group.subscription_id, group.period_start, samples))
            continue
        span = cycle.period_containing(group.period_start)
        unit = "GB" if sub is None else volume_unit(Scope(sub, cycle, span, (), currency))
        key = UsageKey(group.subscription_id, unit, group.period_start)
        totals.append(UsageTotal(key, in_unit(group.octets, unit), group.records))
    return totals, sample_sets, groups


def _availability(
    b: AccountBook, history: date, period: BillingPeriod, lines: Sequence[InvoiceLine], session: Session
) -> list[AvailabilityReport]:
    cycle = b.cycle
    with_sla = [s.id for s in b.billed if any(snap.sla is not None for snap in s.snapshots)]
    if not with_sla:
        return []
    start, end = cycle.start_of(history), period.starts_at
    down = sla_store.outages(session, with_sla, start, end)
    credited = {line.subscription_id for line in lines if line.kind is LineKind.SLA_CREDIT}
    concerned = [s for s in with_sla if s in down or s in credited]
    if not concerned:
        return []
    excused = sla_store.excused(session, concerned, start, end)
    reports: dict[tuple[str, date], AvailabilityReport] = {}
    for sub in concerned:
        for span in cycle.periods(history, period.start):
            reports[sub, span.start] = AvailabilityReport(
                sub, span.start, tuple(down.get(sub, ())), tuple(excused.get(sub, ()))
            )
    return list(reports.values())


def billing_input(
    session: Session, store: UsageStore, b: AccountBook, period: BillingPeriod
) -> tuple[BillingInput, dict[tuple[str, str, date], GroupTotal]]:
    """The input of the account's invoice for ``period``, and the usage groups it may bill."""
    history = history_start(b, period)
    lines = [*billed_lines(session, b.account.id, history), *(x for x in b.issued if x.coverage.start >= history)]
    currency = b.account.currency
    totals, samples, groups = _usage(store, b, b.cycle, history, period, currency)
    given = BillingInput(
        account=Account(b.account.id, currency, b.cycle, b.tax(period.starts_at)),
        period=period,
        subscriptions=tuple(b.billed),
        usage=tuple(totals),
        samples=tuple(samples),
        availability=tuple(_availability(b, history, period, lines, session)),
        billed=tuple(lines),
        history_from=history,
    )
    return given, groups


def by_account(subscriptions: Sequence[Subscription]) -> dict[str, list[Subscription]]:
    found: dict[str, list[Subscription]] = defaultdict(list)
    for s in subscriptions:
        found[s.billing_account_id].append(s)
    return found
