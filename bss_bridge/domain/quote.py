"""Pricing a basket: the lines an order's items are sold at, before anything is ordered.

One line per charge, rounded once (:func:`bss_bridge.domain.money.round_money`), its tax rounded
once from the rounded amount; totals are sums of lines, never re-rounded:

- a one-time charge: its amount;
- a recurring charge: its monthly amount;
- a promotion: minus its percentage of, or its fixed amount (capped at), the unrounded monthly
  recurring charges it covers (its own item's and, for a bundle, its components'), for N months;
- a usage charge: no amount (usage is rated by billing in arrears), described in words and kept
  as its terms.

:func:`charge_line` is the one place a catalog price becomes an amount; billing rates usage, and
prorates, on top of the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

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

HUNDRED = Decimal(100)


class LineKind(StrEnum):
    ONE_TIME = "oneTime"
    RECURRING = "recurring"
    DISCOUNT = "discount"
    USAGE = "usage"


@dataclass(frozen=True, slots=True)
class PricedItem:
    """An order item's offering and the price versions it is sold at; ``parent`` is the bundle
    item it belongs to (a bundle's promotion covers its components' recurring charges)."""

    item_id: str
    offering_id: str
    prices: tuple[OfferingPrice, ...]
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteLine:
    item_id: str
    offering_id: str
    price: OfferingPrice
    kind: LineKind
    description: str
    amount: Decimal | None = None  # rounded; None for usage
    tax: Decimal | None = None  # rounded, from the rounded amount
    months: int | None = None  # how long a discount lasts

    @property
    def total(self) -> Decimal | None:
        return None if self.amount is None or self.tax is None else self.amount + self.tax


def _number(value: Decimal) -> str:
    """A price as written in the catalog, without float noise or trailing zeros (0.035, 79)."""
    text = f"{value.normalize():f}"
    return text


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


def _tax(amount: Decimal, rate_pct: Decimal, currency: str) -> Decimal:
    return round_money(amount * rate_pct / HUNDRED, currency)


def promotion_amount(promotion: Promotion, monthly: Decimal) -> Decimal:
    """The (positive, unrounded) monthly discount of ``promotion`` on ``monthly`` recurring charges."""
    if promotion.kind is DiscountKind.PERCENT:
        return monthly * promotion.value / HUNDRED
    return min(promotion.value, monthly)


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


def charge_line(item: PricedItem, price: OfferingPrice, tax_rate_pct: Decimal, covered_monthly: Decimal) -> QuoteLine:
    """The line of one price of one item. ``covered_monthly`` is the unrounded recurring amount a
    promotion applies to (ignored for other prices)."""
    charge, currency = price.charge, price.currency
    if isinstance(charge, OneTimeCharge):
        kind, amount, months = LineKind.ONE_TIME, charge.amount, None
    elif isinstance(charge, RecurringCharge):
        kind, amount, months = LineKind.RECURRING, charge.monthly_amount, None
    elif isinstance(charge, Promotion):
        kind, amount, months = LineKind.DISCOUNT, -promotion_amount(charge, covered_monthly), charge.months
    else:
        return QuoteLine(item.item_id, item.offering_id, price, LineKind.USAGE, describe(price))
    rounded = round_money(amount, currency)
    tax = _tax(rounded, tax_rate_pct, currency)
    return QuoteLine(item.item_id, item.offering_id, price, kind, describe(price), rounded, tax, months)


def _monthly(prices: Iterable[OfferingPrice]) -> Decimal:
    return sum((p.charge.monthly_amount for p in prices if isinstance(p.charge, RecurringCharge)), Decimal(0))


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    tax_rate_pct: Decimal
    lines: tuple[QuoteLine, ...]

    def _sum(self, *kinds: LineKind, tax: bool = False) -> Decimal:
        zero = round_money(Decimal(0), self.currency)
        values = [(line.tax if tax else line.amount) for line in self.lines if line.kind in kinds]
        return sum((v for v in values if v is not None), zero)

    @property
    def one_time(self) -> Decimal:
        return self._sum(LineKind.ONE_TIME)

    @property
    def monthly(self) -> Decimal:
        """Recurring charges a month, before discounts."""
        return self._sum(LineKind.RECURRING)

    @property
    def monthly_discount(self) -> Decimal:
        """Discounts a month while the promotions last (negative)."""
        return self._sum(LineKind.DISCOUNT)

    def tax(self, *kinds: LineKind) -> Decimal:
        return self._sum(*kinds, tax=True)

    @property
    def usage(self) -> tuple[QuoteLine, ...]:
        return tuple(line for line in self.lines if line.kind is LineKind.USAGE)

    def item_lines(self, item_id: str) -> tuple[QuoteLine, ...]:
        return tuple(line for line in self.lines if line.item_id == item_id)


def price_basket(items: Sequence[PricedItem], currency: str, tax_rate_pct: Decimal) -> Quote:
    """The quote for ``items``: every price of every item as a line, in item then price-name order."""
    lines: list[QuoteLine] = []
    for item in items:
        covered = _monthly(item.prices) + sum(
            (_monthly(child.prices) for child in items if child.parent == item.item_id), Decimal(0)
        )
        for price in sorted(item.prices, key=lambda p: (p.price_type == "discount", p.name)):
            if price.currency != currency:
                raise ValueError(f"price {price.id} is in {price.currency}, the quote in {currency}")
            lines.append(charge_line(item, price, tax_rate_pct, covered))
    return Quote(currency, tax_rate_pct, tuple(lines))
