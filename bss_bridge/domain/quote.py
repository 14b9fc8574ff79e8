"""Pricing a basket: the lines an order's items are sold at, before anything is ordered, computed
by billing's own line rule so the quote, the preview and the invoice reach the same figures.

Each line is a full month of billing's :func:`~bss_bridge.domain.billing.lines.make_line` (gross,
discount and tax each rounded once, half up; the tax on the net amount) from the order's local date:

- a one-time charge: its amount;
- a recurring charge: its monthly amount, less the item's promotion while it lasts (a percentage
  of it, or a fixed amount capped at it: billing's :func:`promotion_discount`); the same line
  without the discount (what is charged once the promotion ended) is kept beside it;
- a usage charge: no amount (usage is rated by billing in arrears), described in words and kept as
  its terms.

Totals are sums of lines, never rounded again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bss_bridge.domain.billing.cycles import BillCycle, BillingPeriod, months_after
from bss_bridge.domain.billing.lines import InvoiceLine, LineSpec, TaxTerms, make_line
from bss_bridge.domain.billing.lines import LineKind as BillingKind
from bss_bridge.domain.billing.proration import promotion_discount
from bss_bridge.domain.catalog import OfferingPrice
from bss_bridge.domain.money import format_money, round_money
from bss_bridge.domain.pricing import (
    BurstableUsage,
    DiscountKind,
    GraduatedUsage,
    OneTimeCharge,
    PerUnitUsage,
    Promotion,
    RecurringCharge,
    Tier,
    VolumeUsage,
)

ZERO = Decimal(0)


class LineKind(StrEnum):
    ONE_TIME = "oneTime"
    RECURRING = "recurring"
    USAGE = "usage"


@dataclass(frozen=True, slots=True)
class PricedItem:
    """An order item's offering and the price versions it is sold at (at most one promotion)."""

    item_id: str
    offering_id: str
    prices: tuple[OfferingPrice, ...]

    @property
    def promotion(self) -> OfferingPrice | None:
        return next((p for p in self.prices if isinstance(p.charge, Promotion)), None)


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """One price of one item. ``line`` is billing's line for the first month (with the promotion's
    discount); ``full`` the same without it (None when there is no discount); both None for usage."""

    item_id: str
    offering_id: str
    price: OfferingPrice
    kind: LineKind
    description: str
    line: InvoiceLine | None = None
    full: InvoiceLine | None = None
    promotion: OfferingPrice | None = None

    @property
    def charged(self) -> InvoiceLine | None:
        """The line without discount: what is charged once any promotion ended."""
        return self.full or self.line

    @property
    def months(self) -> int | None:
        return self.promotion.charge.months if self.promotion and isinstance(self.promotion.charge, Promotion) else None


def _number(value: Decimal) -> str:
    """A price as written in the catalog, without trailing zeros (0.035, 79)."""
    return f"{value.normalize():f}"


def usage_description(charge: PerUnitUsage | GraduatedUsage | VolumeUsage | BurstableUsage, currency: str) -> str:
    if isinstance(charge, PerUnitUsage):
        beyond = f" beyond {_number(charge.included)} {charge.unit} included" if charge.included else ""
        return f"{_number(charge.unit_price)} {currency} per {charge.unit}{beyond} per month"
    if isinstance(charge, BurstableUsage):
        return (
            f"{_number(charge.price_per_mbps)} {currency} per Mbit/s of the month's "
            f"{_number(charge.percentile)}th percentile 5-minute rate above {_number(charge.committed_mbps)} Mbit/s"
        )
    return f"{'graduated' if isinstance(charge, GraduatedUsage) else 'volume'} per {charge.unit}: " + ", ".join(
        _tier_text(tier, charge.unit, currency) for tier in charge.tiers
    )


def _tier_text(tier: Tier, unit: str, currency: str) -> str:
    bound = "above" if tier.up_to is None else f"up to {_number(tier.up_to)} {unit}"
    fee = f" + {_number(tier.flat_fee)} {currency}" if tier.flat_fee else ""
    return f"{bound} at {_number(tier.unit_price)} {currency}{fee}"


def describe(price: OfferingPrice) -> str:
    """A price in words, as its quote line and the catalog listing show it."""
    charge, currency = price.charge, price.currency
    if isinstance(charge, OneTimeCharge):
        return f"{price.name}: {format_money(charge.amount, currency)} once"
    if isinstance(charge, RecurringCharge):
        return f"{price.name}: {format_money(charge.monthly_amount, currency)} a month"
    if isinstance(charge, Promotion):
        percent = charge.kind is DiscountKind.PERCENT
        off = f"{_number(charge.value)} %" if percent else format_money(charge.value, currency)
        return f"{price.name}: {off} off the monthly charges for {charge.months} months"
    return f"{price.name}: {usage_description(charge, currency)}"


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    tax_rate_pct: Decimal
    lines: tuple[QuoteLine, ...]

    def _sum(self, kind: LineKind, value: str, full: bool = False) -> Decimal:
        zero = round_money(ZERO, self.currency)
        picked = [(q.charged if full else q.line) for q in self.lines if q.kind is kind]
        return sum((getattr(line, value) for line in picked if line is not None), zero)

    @property
    def one_time(self) -> Decimal:
        return self._sum(LineKind.ONE_TIME, "amount")

    @property
    def monthly(self) -> Decimal:
        """Recurring charges a month, without promotions."""
        return self._sum(LineKind.RECURRING, "amount", full=True)

    @property
    def monthly_discount(self) -> Decimal:
        """What promotions take off a month while they last (negative or zero)."""
        return self._sum(LineKind.RECURRING, "amount") - self.monthly

    def tax(self, kind: LineKind, full: bool = False) -> Decimal:
        return self._sum(kind, "tax", full)

    @property
    def usage(self) -> tuple[QuoteLine, ...]:
        return tuple(line for line in self.lines if line.kind is LineKind.USAGE)

    def item_lines(self, item_id: str) -> tuple[QuoteLine, ...]:
        return tuple(line for line in self.lines if line.item_id == item_id)


def _line(
    item: PricedItem,
    price: OfferingPrice,
    kind: BillingKind,
    amount: Decimal,
    discount: Decimal,
    coverage: BillingPeriod,
    tax: TaxTerms,
) -> InvoiceLine:
    spec = LineSpec(
        kind=kind,
        description=describe(price),
        coverage=coverage,
        quantity=Decimal(1),
        unit="each" if kind is BillingKind.ONE_TIME else "month",
        unit_price=amount,
        gross=amount,
        discount=discount,
        product=item.offering_id,
        price_name=price.name,
        period_days=coverage.days,
    )
    return make_line(spec, price.currency, tax)


def price_basket(
    items: Sequence[PricedItem], currency: str, tax_rate_pct: Decimal, at: datetime, zone: str = "UTC"
) -> Quote:
    """The quote for ``items`` ordered at ``at``: every price of every item as a line (a promotion
    as its item's discount), for the month from the local date of ``at`` in ``zone``."""
    start = BillCycle(1, zone).local_date(at)
    coverage = BillCycle(1, zone).span(start, months_after(start, 1))
    tax = TaxTerms(tax_rate_pct)
    lines: list[QuoteLine] = []
    for item in items:
        promotion = item.promotion
        for price in sorted(item.prices, key=lambda p: p.name):
            if price.currency != currency:
                raise ValueError(f"price {price.id} is in {price.currency}, the quote in {currency}")
            charge = price.charge
            base = QuoteLine(item.item_id, item.offering_id, price, LineKind.USAGE, describe(price))
            if isinstance(charge, Promotion):
                continue
            if isinstance(charge, OneTimeCharge):
                line = _line(item, price, BillingKind.ONE_TIME, charge.amount, ZERO, coverage, tax)
                lines.append(
                    QuoteLine(item.item_id, item.offering_id, price, LineKind.ONE_TIME, base.description, line)
                )
            elif isinstance(charge, RecurringCharge):
                monthly = charge.monthly_amount
                off = ZERO
                if promotion is not None:
                    assert isinstance(promotion.charge, Promotion)
                    off = promotion_discount(promotion.charge, monthly, coverage.days, coverage.days)
                line = _line(item, price, BillingKind.RECURRING, monthly, off, coverage, tax)
                full = _line(item, price, BillingKind.RECURRING, monthly, ZERO, coverage, tax) if off else None
                lines.append(
                    QuoteLine(
                        item.item_id,
                        item.offering_id,
                        price,
                        LineKind.RECURRING,
                        base.description,
                        line,
                        full,
                        promotion if off else None,
                    )
                )
            else:
                lines.append(base)
    return Quote(currency, tax_rate_pct, tuple(lines))
