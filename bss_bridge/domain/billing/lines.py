"""Invoice lines and the one place billing rounds.

Why: an invoice's figures must reach the same total on every path (quote, preview, invoice, a bill
run repeated), and rounding drift is where billing systems lose that (Kill Bill #1124: 0.067 x 55 =
3.685 judged on the unrounded amount; CGRateS #260: rounding per increment). So every amount is
computed unrounded by the rating and proration functions and handed to :func:`make_line`, the only
caller of :func:`~bss_bridge.domain.money.round_money` in billing. It rounds the line's gross amount
once, its discount once, and its tax once (half up, to the currency's minor unit); the net amount is
gross minus discount, exact because both are already in minor units; totals are plain sums of lines.
A correction of an already invoiced period rounds its new complete rating, not the difference
(:func:`rounded_difference`; for recurring charges, :func:`shares`), and its tax is its share of
its group's tax rounded once (:func:`taxed_together`): so whatever order a period's lines came in (a
change or usage learnt late), its figures are, to the cent, those of one invoice made knowing
everything. A group's tax is the rounding of its amount at the rate its period is taxed at now,
whatever rate its earlier lines carried; so a period whose exemption changed after it was invoiced
has its tax corrected by a line of no amount (see ``invoice``: "Tax").

A line maps onto TMF678's ``appliedCustomerBillingRate``: ``coverage`` is ``periodCoverage``,
``amount`` is ``taxExcludedAmount``, ``amount + tax`` is ``taxIncludedAmount``, ``tax_rate`` and
``tax`` are its ``appliedTax``, :attr:`InvoiceLine.tmf_type` its ``type``; ``kind``, ``quantity``,
``unit_price`` and ``discount`` travel as characteristics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bss_bridge.domain.billing.cycles import BillingPeriod
from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.money import check_currency, round_money, to_decimal
from bss_bridge.domain.pricing import Promotion

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class LineKind(StrEnum):
    """What a line bills. Credits carry negative amounts."""

    ONE_TIME = "oneTimeCharge"
    RECURRING = "recurringCharge"
    RECURRING_CREDIT = "recurringCredit"  # the unused part of a recurring charge (change, termination)
    USAGE = "usageCharge"
    USAGE_ADJUSTMENT = "usageAdjustment"  # usage of an already invoiced period that arrived late
    SLA_CREDIT = "slaCredit"
    ADJUSTMENT = "adjustment"  # an operator's correction


@dataclass(frozen=True, slots=True)
class TaxTerms:
    """An account's tax: ``rate`` percent on every line, or none at all when ``exemption`` (the
    reason, e.g. a reverse-charge note or an exemption certificate) is given."""

    rate: Decimal = ZERO
    exemption: str | None = None
    category: str = "VAT"

    def __post_init__(self) -> None:
        if not ZERO <= to_decimal(self.rate) <= HUNDRED:
            raise InvalidBillingInputError(f"a tax rate must be 0-100 %, got {self.rate}")
        if self.exemption is not None and not self.exemption.strip():
            raise InvalidBillingInputError("a tax exemption needs its reason (it is printed on the invoice)")

    @property
    def effective_rate(self) -> Decimal:
        return ZERO if self.exemption is not None else self.rate


@dataclass(frozen=True, slots=True, kw_only=True)
class LineBasis:
    """What a line bills, before and after rounding (see the module docstring for TMF678).

    ``quantity`` and ``unit_price`` are exact (for a recurring line: 1 month at the monthly
    amount, prorated by ``coverage.days / period_days``; -1 for a credit). ``subscription_id``,
    ``product`` (the offering's name), ``price_name``, ``part``, ``promotion`` and ``reference``
    identify what the line billed, so a later run can tell what is already billed.
    """

    kind: LineKind
    description: str
    coverage: BillingPeriod
    quantity: Decimal
    unit: str
    unit_price: Decimal
    gross: Decimal
    discount: Decimal = ZERO
    subscription_id: str | None = None
    product: str = ""
    price_name: str = ""
    part: str = ""
    period_days: int = 0
    promotion: Promotion | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LineSpec(LineBasis):
    """A line before rounding: ``gross`` and ``discount`` unrounded, as rating computed them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLine(LineBasis):
    """One rounded line of an invoice: ``gross``, ``discount``, ``amount`` (gross - discount, tax
    excluded) and ``tax`` in the currency's minor unit; a credit has them negative or zero."""

    currency: str
    amount: Decimal
    tax_rate: Decimal
    tax: Decimal

    @property
    def tax_included(self) -> Decimal:
        return self.amount + self.tax

    @property
    def tmf_type(self) -> str:
        """TMF678's ``type``: a charge, or a credit (rebate, productAlteration) when negative, tax
        included (a correction of tax alone has no amount)."""
        return "appliedBillingCredit" if self.tax_included < 0 else "appliedBillingCharge"




def make_line(
    spec: LineSpec, currency: str, tax: TaxTerms, before: tuple[Decimal, Decimal] = (ZERO, ZERO)
) -> InvoiceLine:
    """The rounding place: gross, discount and tax each rounded once, half up, to the minor unit.

    ``before`` is the amount and tax of the lines of the line's group billed before it (see
    :func:`taxed_together`): its tax is the rounding of the group's tax with it, at ``tax``, less
    what they carry (at whatever rate they were taxed: a line of no amount in a group taxed
    otherwise before is the correction of its tax)."""
    check_currency(currency)
    if abs(spec.discount) > abs(spec.gross) or (spec.discount and (spec.discount < 0) != (spec.gross < 0)):
        raise InvalidBillingInputError(f"{spec.description}: a discount ({spec.discount}) exceeds its charge")
    gross = _rounded(spec.gross, currency)
    discount = _rounded(spec.discount, currency) if spec.discount else _rounded(ZERO, currency)
    amount = gross - discount
    rate = tax.effective_rate
    amount_before, tax_before = before
    if amount_before or tax_before:
        tax_amount = _rounded((amount_before + amount) * rate / HUNDRED, currency) - tax_before
        tax_amount = tax_amount if tax_amount else abs(tax_amount)  # no "-0.00"
    else:  # the group's first line (the same as above, without adding zeros)
        tax_amount = _rounded(amount * rate / HUNDRED, currency)
    return InvoiceLine(
        kind=spec.kind,
        description=spec.description,
        coverage=spec.coverage,
        quantity=spec.quantity,
        unit=spec.unit,
        unit_price=spec.unit_price,
        gross=gross,
        discount=discount,
        subscription_id=spec.subscription_id,
        product=spec.product,
        price_name=spec.price_name,
        part=spec.part,
        period_days=spec.period_days,
        promotion=spec.promotion,
        reference=spec.reference,
        currency=currency,
        amount=amount,
        tax_rate=rate,
        tax=tax_amount,
    )


def rounded_difference(expected: Decimal, billed: Decimal, currency: str) -> Decimal:
    """What a period still owes when ``billed`` (a sum of rounded lines) is already on invoices and
    its complete rating is now ``expected`` (unrounded): ``round(expected) - billed``. Rounding the
    new total (not the difference) keeps a period's lines summing to the rounding of its complete
    rating, whatever order its usage arrived in (half up is symmetric, not shift-invariant:
    round(3.685 - 3.69) would be -0.01 where 3.69 - 3.69 is 0)."""
    return _rounded(expected, currency) - billed


def shares(parts: Sequence[Decimal], total: Decimal, currency: str) -> list[Decimal]:
    """``parts`` (unrounded) in minor units, summing to ``total`` (already in minor units): each
    rounded on its own but the largest (the first of those as large), which takes the rest. How the
    corrections of one recurring price in one period reach the rounding of its complete charge,
    whatever lines came before them (see ``proration``)."""
    if not parts:
        return []
    rounded = [_rounded(part, currency) for part in parts]
    largest = max(range(len(parts)), key=lambda n: (abs(parts[n]), -n))
    rest = total - sum(rounded, ZERO) + rounded[largest]
    rounded[largest] = rest if rest else abs(rest)
    return rounded


def taxed_together(line: LineBasis, other: LineBasis) -> bool:
    """Whether two lines of one subscription and billing period are of one tax group: billing the
    same thing (a recurring price at one monthly amount and promotion, one part of a usage price,
    the SLA credit, one operator's adjustment). On a fresh invoice a group is mostly one line,
    taxed on its own amount; a later line of the group is taxed so that the group's tax is the
    rounding of the group's amount, whatever order its lines came in (see :func:`make_line`)."""
    family = _FAMILY.get(line.kind, line.kind)
    if (
        family is not _FAMILY.get(other.kind, other.kind)
        or line.price_name != other.price_name
        or line.part != other.part
        or line.reference != other.reference
    ):
        return False
    return family is not LineKind.RECURRING or (line.unit_price, line.promotion) == (other.unit_price, other.promotion)


def tax_group(line: LineBasis) -> tuple[object, ...]:
    """What the lines of one tax group have in common: two lines (of one subscription and period)
    are :func:`taxed_together` when theirs are equal (that function, on a bill run's hot path,
    compares them without building them)."""
    family = _FAMILY.get(line.kind, line.kind)
    rate = (line.unit_price, line.promotion) if family is LineKind.RECURRING else None
    return (family, line.price_name, line.part, line.reference, rate)


_FAMILY = {
    LineKind.RECURRING_CREDIT: LineKind.RECURRING,
    LineKind.USAGE_ADJUSTMENT: LineKind.USAGE,
}


def _rounded(value: Decimal, currency: str) -> Decimal:
    rounded = round_money(value, currency)
    return rounded if rounded else abs(rounded)  # no "-0.00" on an invoice


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums of the lines, never rounded again: ``total = subtotal + tax``."""

    gross: Decimal
    discount: Decimal
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def totals(lines: Iterable[InvoiceLine], currency: str) -> Totals:
    """The invoice's totals: plain sums of its (already rounded) lines, in ``currency``."""
    zero = round_money(ZERO, currency)
    gross = discount = subtotal = tax = zero
    for line in lines:
        if line.currency != currency:
            raise InvalidBillingInputError(
                f"line {line.description!r} is in {line.currency}, the invoice in {currency}"
            )
        gross += line.gross
        discount += line.discount
        subtotal += line.amount
        tax += line.tax
    return Totals(gross, discount, subtotal, tax, subtotal + tax)
