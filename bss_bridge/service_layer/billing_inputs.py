"""What one invoice is computed from, read from storage: the account's subscriptions as billing
sees them, the lines already issued, the usage groups, rate samples and SLA inputs of the history
window. The maths is :func:`~bss_bridge.domain.billing.invoice.assemble_invoice`; this only loads.

**The history window** starts at the earliest of: the period before the one billed (its usage is
due now), the earliest period with rated usage not billed yet (late usage becomes an adjustment
however late it is), and the period in which the earliest change the account's last bill did not
see took effect. Lines are loaded from there on, so every correction is reconciled against
everything billed for the same days; so are the usage groups of those periods, billed or not, with
their complete totals: a speed change recorded late rates the usage already billed again on the
terms known now, and the invoice bills the difference (a group billed already keeps the invoice
that billed its records).

**Changes the last bill did not see.** A change takes effect at one instant and is recorded at
another, possibly after a bill run that billed the days it changes (an order completed on 25
January whose completion reaches the BSS on 2 February, after the run of 1 February). So the
instant of a change says nothing of whether a bill saw it. What does: every stored change of a
subscription adds one to its ``revision``, and each bill cycle row keeps the revision of every
started subscription of the account as that bill read it (``LastBill.seen``). A subscription whose
revision moved since brings the window back to the first period its later terms or its end
change, and to its start when the last bill did not see it started (an activation recorded late:
its one-time charge and first days are billed). An outage recorded, or whose end moved, also adds
one to its subscription's revision and keeps it (``sla_store.write_outage``): one newer than what
the last bill saw brings the window back to the outage's start, so its month's SLA credit is
computed again and the difference is on the next invoice. The revisions are counted by the
database, so a change committed while a run is reading, or after, is seen by the next run either
way. Cycle rows billed before revisions were kept fall back to comparing when the change took effect
(or the outage was recorded) with when the bill was made. Maintenance windows need no such look:
one is announced before it starts (``usage_handlers.record_maintenance`` refuses a start in the
past), so none is recorded after the bill of its days.

**An exemption recorded late.** An account's tax exemption is dated (``validFor``) and may be
recorded, shortened or withdrawn after the bills of the periods it covers. Each cycle row keeps
the account's tax rate and exemption window as its bill read them (``LastBill.tax_seen``): the
periods billed whose first instant is exempt under one window and not the other are those whose
tax the last bill charged otherwise than now owed (``AccountBook.retaxed``; every bill before it
corrected those of the changes it saw). The window reaches back to the first of them, and
``period_tax`` tells the invoice each earlier period's tax as known now (exempt, or, no longer
exempt, the rate the period's own bill read: ``BillingReader.rates_seen``) and which changed: the
invoice corrects their lines' tax (``invoice``: "Tax"). A last bill from before the tax was kept
(None) corrects nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bss_bridge.domain.billing.charges import Scope
from bss_bridge.domain.billing.cycles import BillCycle, BillingPeriod
from bss_bridge.domain.billing.invoice import Account, AvailabilityReport, BillingInput, PeriodTax
from bss_bridge.domain.billing.lines import InvoiceLine, LineKind, TaxTerms
from bss_bridge.domain.billing.metering import in_unit, volume_unit
from bss_bridge.domain.billing.sla import MaintenanceWindow, Outage
from bss_bridge.domain.billing.subscriptions import Subscription as Billed
from bss_bridge.domain.billing.usage import RateSample, SampleSet, UsageKey, UsageTotal
from bss_bridge.domain.billing_view import billed, billing_cycle
from bss_bridge.domain.party import BillingAccount
from bss_bridge.domain.subscription import Subscription
from bss_bridge.domain.window import Window
from bss_bridge.storage import sla_store
from bss_bridge.storage.billing_reads import BillingReader
from bss_bridge.storage.billing_repository import LastBill, TaxSeen, last_cycles
from bss_bridge.storage.usage_store import GroupTotal, UsageStore

MBPS = "Mbit/s"
DAY = timedelta(days=1)


@dataclass
class AccountBook:
    """One account as a bill run sees it."""

    account: BillingAccount
    cycle: BillCycle
    subscriptions: list[Subscription]
    billed: list[Billed]
    last_billed: LastBill | None
    pending_usage: date | None
    revisions: dict[str, int]  # of its subscriptions (and maybe others') as read
    issued: list[InvoiceLine] = field(default_factory=list)  # lines issued earlier in this run
    # (subscription, start, recorded at, revision) of the outages of subscriptions changed since
    # the last bill (``late_outages``)
    outages: list[tuple[str, datetime, datetime, int | None]] = field(default_factory=list)

    def first_period(self) -> BillingPeriod | None:
        if not self.billed:
            return None
        return self.cycle.period_containing(min(s.activation_date(self.cycle) for s in self.billed))

    def due(self, as_of: datetime) -> list[BillingPeriod]:
        """The periods not billed yet whose start has come by ``as_of``, in order."""
        first = self.first_period()
        if first is None:
            return []
        start = self.last_billed.end if self.last_billed else first.start
        target = self.cycle.period_at(as_of)
        return [p for p in self.cycle.periods(start, target.end) if p.start <= target.start]

    def seen(self) -> dict[str, int]:
        """What a bill of the account records it saw: the revision of each started subscription."""
        return {s.id: self.revisions[s.id] for s in self.subscriptions if s.start_date is not None}

    def unseen_changes(self) -> Iterator[datetime]:
        """When the changes the last bill did not see took effect (see the module docstring)."""
        last = self.last_billed
        if last is None:
            return
        for s in self.subscriptions:
            if s.start_date is None or not self.changed_since(s, last):
                continue
            if last.seen is not None and s.id not in last.seen:
                yield s.start_date
            yield from (t.start for t in s.terms[1:] if t.start is not None)
            if s.termination_date is not None:
                yield s.termination_date
        for sub, start, recorded, revision in self.outages:
            if last.seen is None:  # billed before revisions were kept: recorded since by the clock
                if recorded > last.billed_at:
                    yield start
            elif revision is not None and revision > last.seen.get(sub, -1):
                yield start

    def changed_since(self, s: Subscription, last: LastBill) -> bool:
        """Whether ``s`` (or an outage of it) changed since ``last`` saw it; a bill from before
        revisions were kept only knows when a change took effect."""
        if last.seen is None:
            return s.updated_at > last.billed_at
        return last.seen.get(s.id) != self.revisions[s.id]

    def tax(self, at: datetime, rate: Decimal | None = None) -> TaxTerms:
        """The tax of a period starting at ``at``: its exemption if it is exempt, else ``rate``
        (by default the account's)."""
        exemption = self.account.terms.tax_exemption
        if exemption is not None and exemption.valid_for.contains(at):
            reason = exemption.reason or f"certificate {exemption.certificate}".strip()
            return TaxTerms(exemption=f"exempt ({exemption.jurisdiction}): {reason}")
        return TaxTerms(self.account.terms.tax_rate_pct if rate is None else rate)

    def tax_seen(self) -> TaxSeen:
        """What a bill of the account records of its tax: its rate and its exemption's window."""
        exemption = self.account.terms.tax_exemption
        return TaxSeen(self.account.terms.tax_rate_pct, None if exemption is None else exemption.valid_for)

    def retaxed(self) -> list[BillingPeriod]:
        """The periods billed whose exemption status changed since the last bill (see the module
        docstring); none when that bill kept no tax."""
        last = self.last_billed
        now = self.tax_seen().exempt
        if last is None or last.tax_seen is None or last.tax_seen.exempt == now:
            return []
        before = last.tax_seen.exempt
        first = self.first_period()
        if first is None:
            return []
        return [p for p in self.cycle.periods(first.start, last.end) if _within(before, p) != _within(now, p)]

    def period_tax(self, history: date, period: BillingPeriod, rates: dict[date, Decimal]) -> tuple[PeriodTax, ...]:
        """The tax of each earlier period of the history window as known now: a period whose
        exemption status changed and that is no longer exempt owes the rate its bill read
        (``rates``; the account's when that bill kept none)."""
        changed = {p.start for p in self.retaxed()}
        return tuple(
            PeriodTax(
                p.start, self.tax(p.starts_at, rates.get(p.start) if p.start in changed else None), p.start in changed
            )
            for p in self.cycle.periods(history, period.start)
        )


def _within(window: Window | None, period: BillingPeriod) -> bool:
    """Whether a period is exempt under an exemption valid for ``window``: its first instant is in it."""
    return window is not None and window.contains(period.starts_at)


@dataclass(frozen=True)
class Holdings:
    """A chunk's accounts, their subscriptions and those as billing rates them, and, when read
    ahead of the chunk's transaction (see ``billing_handlers``), the lines issued to them.

    Billing never changes the first three. The lines change only when an invoice is issued, which a
    bill run does with the account's new bill cycle row in the same transaction: so lines read
    ahead are still all there is while the account's last billed period (``last_billed``, read
    with them) has not changed. They are read from ``lines_since``, the history window as it was
    known then; the rating pass may widen it (usage not billed yet), and ``preload`` reads what
    the wider window adds."""

    accounts: dict[str, BillingAccount]
    subscriptions: dict[str, list[Subscription]]
    revisions: dict[str, int]
    billed: dict[str, list[Billed]]
    last_billed: dict[str, LastBill] | None = None
    lines: dict[str, list[InvoiceLine]] | None = None
    lines_since: date | None = None


def read_ahead(reader: BillingReader, account_ids: Sequence[str], as_of: datetime) -> Holdings:
    """The holdings of these accounts, with their lines issued in the history window known before
    the rating pass (no pending usage)."""
    held = holdings(reader, account_ids)
    last = last_cycles(reader.session, account_ids)
    starts = [history_start(b, due[0]) for b in books(held, last, {}) if (due := b.due(as_of))]
    if not starts:
        return replace(held, last_billed=last)
    since = min(starts)
    return replace(held, last_billed=last, lines=reader.lines(account_ids, since), lines_since=since)


def holdings(reader: BillingReader, account_ids: Sequence[str]) -> Holdings:
    accounts = reader.accounts(account_ids)
    subscriptions, revisions = reader.subscriptions(account_ids)
    slas = reader.slas()
    views = {
        a: [
            view
            for s in subscriptions.get(a, [])
            if s.specification_id is not None and (view := billed(s, slas)) is not None
        ]
        for a in accounts
    }
    return Holdings(accounts, subscriptions, revisions, views)


def books(
    held: Holdings,
    last_billed: dict[str, LastBill],
    pending_usage: dict[str, date],
) -> list[AccountBook]:
    """Each account's book (in the order of their ids), with its last billed period and earliest pending usage."""
    return [
        AccountBook(
            account,
            billing_cycle(account),
            held.subscriptions.get(a, []),
            list(held.billed[a]),
            last_billed.get(a),
            pending_usage.get(a),
            held.revisions,
        )
        for a, account in sorted(held.accounts.items())
    ]


def history_start(b: AccountBook, period: BillingPeriod) -> date:
    cycle = b.cycle
    start = cycle.preceding(period).start
    if b.pending_usage is not None:
        start = min(start, cycle.period_containing(b.pending_usage).start)
    for moment in b.unseen_changes():
        start = min(start, cycle.period_at(moment).start)
    if retaxed := b.retaxed():
        start = min(start, retaxed[0].start)
    return start


def late_outages(reader: BillingReader, chunk: Sequence[AccountBook]) -> None:
    """Give each account its outages that may have been recorded since its last bill: those of the
    subscriptions changed since (an outage's recording changes its subscription's revision); every
    outage when that bill kept no revisions."""
    wanted = {
        s.id: b
        for b in chunk
        if (last := b.last_billed) is not None
        for s in b.subscriptions
        if last.seen is None or b.changed_since(s, last)
    }
    if wanted:
        for outage in sla_store.outages_of(reader.session, list(wanted)):
            wanted[outage[0]].outages.append(outage)


@dataclass
class Preloaded:
    """What a chunk of accounts' invoices read, loaded in a few queries for the whole chunk."""

    lines: dict[str, list[InvoiceLine]]
    groups: dict[str, list[GroupTotal]]
    outages: dict[str, list[Outage]]
    excused: dict[str, list[MaintenanceWindow]]
    rates: dict[str, dict[date, Decimal]] = field(default_factory=dict)  # seen by the bills of periods retaxed


def preload(
    reader: BillingReader,
    store: UsageStore,
    books: Sequence[AccountBook],
    as_of: datetime,
    held: Holdings | None = None,
) -> Preloaded:
    starts = {b.account.id: history_start(b, due[0]) for b in books if (due := b.due(as_of))}
    if not starts:
        return Preloaded({}, {}, {}, {})
    since, before = min(starts.values()), max(b.cycle.period_at(as_of).start for b in books)
    groups: dict[str, list[GroupTotal]] = defaultdict(list)
    for group in store.groups(list(starts), since, before):
        groups[group.account_id].append(group)
    with_sla = [
        s.id
        for b in books
        if b.account.id in starts
        for s in b.billed
        if any(snap.sla is not None for snap in s.snapshots)
    ]
    window = (datetime.combine(since, datetime.min.time(), UTC) - DAY, as_of + DAY)
    down = sla_store.outages(reader.session, with_sla, *window) if with_sla else {}
    lines = _issued(reader, list(starts), since, books, held)
    credited = {x.subscription_id for found in lines.values() for x in found if x.kind is LineKind.SLA_CREDIT}
    concerned = sorted(set(down) | {c for c in credited if c})
    excused = sla_store.excused(reader.session, concerned, *window) if concerned else {}
    retaxed = {b.account.id: found[0].start for b in books if b.account.id in starts and (found := b.retaxed())}
    rates = reader.rates_seen(retaxed) if retaxed else {}
    return Preloaded(lines, groups, down, excused, rates)


def _issued(
    reader: BillingReader, ids: list[str], since: date, chunk: Sequence[AccountBook], held: Holdings | None
) -> dict[str, list[InvoiceLine]]:
    """Per account, the lines issued from ``since`` on: those read ahead where they still are all
    (see ``Holdings``), and what they lack read now."""
    if held is None or held.lines is None or held.lines_since is None or held.last_billed is None:
        return reader.lines(ids, since)
    last = held.last_billed
    stale = {b.account.id for b in chunk if b.last_billed != last.get(b.account.id)}
    kept = [a for a in ids if a not in stale and a in held.lines]
    found = {a: held.lines[a] for a in kept}
    if since < held.lines_since:
        for a, earlier in reader.lines(kept, since, before=held.lines_since).items():
            found[a] = earlier + found[a]
    if again := [a for a in ids if a not in found]:
        found.update(reader.lines(again, since))
    return found


def _usage(
    store: UsageStore, b: AccountBook, history: date, period: BillingPeriod, pre: Preloaded
) -> tuple[list[UsageTotal], list[SampleSet], dict[tuple[str, str, date], GroupTotal]]:
    subs = {s.id: s for s in b.billed}
    cycle, currency = b.cycle, b.account.currency
    totals, sample_sets, groups = [], [], {}
    for group in pre.groups.get(b.account.id, []):
        if not history <= group.period_start < period.start:
            continue  # billed or not: a group's complete total is rated again on the terms known now
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
    b: AccountBook, history: date, period: BillingPeriod, lines: Sequence[InvoiceLine], pre: Preloaded
) -> list[AvailabilityReport]:
    credited = {line.subscription_id for line in lines if line.kind is LineKind.SLA_CREDIT}
    concerned = [s.id for s in b.billed if s.id in pre.outages or s.id in credited]
    return [
        AvailabilityReport(sub, span.start, tuple(pre.outages.get(sub, ())), tuple(pre.excused.get(sub, ())))
        for sub in concerned
        for span in b.cycle.periods(history, period.start)
    ]


def billing_input(
    store: UsageStore, b: AccountBook, period: BillingPeriod, pre: Preloaded
) -> tuple[BillingInput, dict[tuple[str, str, date], GroupTotal]]:
    """The input of the account's invoice for ``period``, and the usage groups it may bill."""
    history = history_start(b, period)
    stored = pre.lines.get(b.account.id, [])
    lines = [x for x in (*stored, *b.issued) if x.coverage.start >= history]
    totals, samples, groups = _usage(store, b, history, period, pre)
    given = BillingInput(
        account=Account(b.account.id, b.account.currency, b.cycle, b.tax(period.starts_at)),
        period=period,
        subscriptions=tuple(b.billed),
        usage=tuple(totals),
        samples=tuple(samples),
        availability=tuple(_availability(b, history, period, lines, pre)),
        billed=tuple(lines),
        history_from=history,
        period_tax=b.period_tax(history, period, pre.rates.get(b.account.id, {})),
    )
    return given, groups
