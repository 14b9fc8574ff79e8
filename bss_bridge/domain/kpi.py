"""The BSS's KPIs per calendar month (UTC): churn, ARPU and billing accuracy, from stored facts.

Definitions (also in ``docs/kpis.md``):

- **Churn** of month M: the subscriptions active at M's start that were terminated during M, over
  the subscriptions active at M's start. A subscription is active from its start date (activation)
  until its termination date; suspended ones are active (they are still subscribed). Subscriptions
  started during M are not in the denominator and their terminations not in the numerator, so the
  rate stays within 0..1; they are reported beside it (``started``, ``terminated``). Bundle
  components are not counted: their bundle is.
- **ARPU** of month M, per currency: the invoiced revenue of M (the tax-excluded subtotal of the
  invoices whose billing period starts in M, credits and adjustments included) over the customers
  with a subscription active at some moment of M. ``Decimal``, rounded half up to the currency's
  minor unit.
- **Billing accuracy** of month M (same invoices): the share of invoice lines an independent
  recomputation confirms (``gross`` is ``quantity x unit_price``, for a recurring line prorated by
  the days it covers over its period's days, rounded half up to the minor unit,
  ``amount`` is ``gross - discount``, ``tax`` is ``amount x tax_rate / 100`` rounded half up), every
  line of an invoice whose stored totals are not the sums of its lines counting as unconfirmed; and
  the adjustment lines and the credit notes per invoice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from bss_bridge.domain.money import round_money

RATE_PLACES = Decimal("0.0001")  # rates are shown as a share with 4 decimals (0.0125 = 1.25 %)
ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: date) -> Month:
        return cls(moment.year, moment.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM``."""
        try:
            year, month = (int(part) for part in text.split("-"))
            date(year, month, 1)
        except ValueError as exc:
            raise ValueError(f"month {text!r} is not YYYY-MM") from exc
        return cls(year, month)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.next().start

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def last_months(now: datetime, count: int) -> list[Month]:
    """The ``count`` months ending with the one ``now`` falls in, oldest first."""
    months = [Month.of(now.astimezone(UTC))]
    while len(months) < count:
        months.append(months[-1].previous())
    return months[::-1]


@dataclass(frozen=True, slots=True)
class SubscriptionFact:
    id: str
    customer_id: str
    start: datetime | None  # None: never activated
    terminated: datetime | None  # None: not terminated

    def active_at(self, moment: datetime) -> bool:
        return self.start is not None and self.start <= moment and (self.terminated is None or self.terminated > moment)

    def active_during(self, month: Month) -> bool:
        return (
            self.start is not None
            and self.start < month.end
            and (self.terminated is None or self.terminated > month.start)
        )


@dataclass(frozen=True, slots=True)
class LineFact:
    id: str
    kind: str
    quantity: Decimal
    unit_price: Decimal
    gross: Decimal
    discount: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax: Decimal
    days: int = 0  # the days the line covers
    period_days: int = 0  # a recurring line: the days of its billing period (the proration's denominator)

    def expected_gross(self) -> Decimal:
        """``quantity x unit_price``, prorated by ``days / period_days`` for a recurring line."""
        whole = self.quantity * self.unit_price
        return whole * self.days / self.period_days if self.period_days else whole


@dataclass(frozen=True, slots=True)
class InvoiceFact:
    id: str
    number: str
    currency: str
    period_start: date
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    lines: tuple[LineFact, ...]
    credit_notes: int = 0


@dataclass(frozen=True, slots=True)
class Churn:
    month: Month
    active_at_start: int
    churned: int  # of those active at the start
    started: int
    terminated: int  # all terminations in the month
    rate: Decimal | None  # None: nobody was active at the start


@dataclass(frozen=True, slots=True)
class Arpu:
    month: Month
    currency: str
    revenue: Decimal
    active_customers: int
    arpu: Decimal | None  # None: no active customer


@dataclass(frozen=True, slots=True)
class Accuracy:
    month: Month
    invoices: int
    lines: int
    confirmed: int
    share: Decimal | None  # None: no line
    adjustments: int
    credit_notes: int
    adjustments_per_invoice: Decimal | None
    credit_notes_per_invoice: Decimal | None
    unconfirmed: tuple[str, ...] = field(default=())  # "<invoice number>: <line id>: why"


def _ratio(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, ROUND_HALF_UP)


def churn(subscriptions: Iterable[SubscriptionFact], month: Month) -> Churn:
    subs = list(subscriptions)
    at_start = [s for s in subs if s.active_at(month.start)]
    churned = sum(1 for s in at_start if s.terminated is not None and s.terminated < month.end)
    started = sum(1 for s in subs if s.start is not None and month.start < s.start < month.end)
    terminated = sum(1 for s in subs if s.terminated is not None and month.start <= s.terminated < month.end)
    return Churn(month, len(at_start), churned, started, terminated, _ratio(churned, len(at_start)))


def arpu(subscriptions: Iterable[SubscriptionFact], invoices: Iterable[InvoiceFact], month: Month) -> list[Arpu]:
    """One figure per currency invoiced in the month (none when nothing was invoiced)."""
    customers = {s.customer_id for s in subscriptions if s.active_during(month)}
    revenue: dict[str, Decimal] = {}
    for invoice in invoices:
        if Month.of(invoice.period_start) == month:
            revenue[invoice.currency] = revenue.get(invoice.currency, Decimal(0)) + invoice.subtotal
    return [
        Arpu(
            month,
            currency,
            total,
            len(customers),
            round_money(total / len(customers), currency) if customers else None,
        )
        for currency, total in sorted(revenue.items())
    ]


def line_problem(line: LineFact, currency: str) -> str | None:
    """Why the recomputation does not confirm the line, or None when it does."""
    gross = round_money(line.expected_gross(), currency)
    if gross != line.gross:
        share = f" x {line.days}/{line.period_days} days" if line.period_days else ""
        return f"gross {line.gross} but {line.quantity} x {line.unit_price}{share} is {gross}"
    if line.gross - line.discount != line.amount:
        return f"amount {line.amount} but gross - discount is {line.gross - line.discount}"
    tax = round_money(line.amount * line.tax_rate / 100, currency)
    if tax != line.tax:
        return f"tax {line.tax} but {line.amount} x {line.tax_rate} % is {tax}"
    return None


def totals_problem(invoice: InvoiceFact) -> str | None:
    subtotal = sum((line.amount for line in invoice.lines), Decimal(0))
    tax = sum((line.tax for line in invoice.lines), Decimal(0))
    if (subtotal, tax, subtotal + tax) != (invoice.subtotal, invoice.tax, invoice.total):
        return f"totals {invoice.subtotal}/{invoice.tax}/{invoice.total} but the lines sum to {subtotal}/{tax}"
    return None


def accuracy(invoices: Iterable[InvoiceFact], month: Month) -> Accuracy:
    mine = [i for i in invoices if Month.of(i.period_start) == month]
    lines = confirmed = adjustments = credit_notes = 0
    unconfirmed: list[str] = []
    for invoice in mine:
        lines += len(invoice.lines)
        adjustments += sum(1 for line in invoice.lines if line.kind == ADJUSTMENT)
        credit_notes += invoice.credit_notes
        whole = totals_problem(invoice)
        for line in invoice.lines:
            why = whole or line_problem(line, invoice.currency)
            if why is None:
                confirmed += 1
            else:
                unconfirmed.append(f"{invoice.number}: {line.id}: {why}")
    return Accuracy(
        month,
        len(mine),
        lines,
        confirmed,
        _ratio(confirmed, lines),
        adjustments,
        credit_notes,
        _ratio(adjustments, len(mine)),
        _ratio(credit_notes, len(mine)),
        tuple(unconfirmed),
    )


@dataclass(frozen=True, slots=True)
class BssKpis:
    churn: list[Churn]
    arpu: list[Arpu]
    accuracy: list[Accuracy]


def compute(
    subscriptions: Sequence[SubscriptionFact], invoices: Sequence[InvoiceFact], months: Sequence[Month]
) -> BssKpis:
    return BssKpis(
        [churn(subscriptions, m) for m in months],
        [figure for m in months for figure in arpu(subscriptions, invoices, m)],
        [accuracy(invoices, m) for m in months],
    )
