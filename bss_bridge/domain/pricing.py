"""Price components: the terms a product offering price is sold on, shared by the catalog (which
stores and versions them), the quote, and billing (which rates them). Pure data with its own
consistency checks; the arithmetic that turns them into amounts lives with rating.

Units: recurring amounts are per calendar month; volume usage is counted in ``unit`` (the demo
catalog uses ``GB``, 10^9 octets); burstable usage is 5-minute rate samples in Mbit/s.

Every amount is a ``Decimal`` in the price's currency, unrounded: rounding happens once, per
charge line, in :func:`bss_bridge.domain.money.round_money`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

from bss_bridge.domain.errors import InvalidPriceError
from bss_bridge.domain.money import check_currency, to_decimal


def _non_negative(name: str, value: Decimal) -> Decimal:
    value = to_decimal(value)
    if value < 0:
        raise InvalidPriceError(f"{name} must not be negative, got {value}")
    return value


class PriceType(StrEnum):
    """TMF620 ``priceType`` values used by this catalog."""

    ONE_TIME = "oneTime"
    RECURRING = "recurring"
    USAGE = "usage"


@dataclass(frozen=True, slots=True)
class OneTimeCharge:
    """Charged once, on activation (installation, setup)."""

    amount: Decimal

    def __post_init__(self) -> None:
        _non_negative("a one-time amount", self.amount)


@dataclass(frozen=True, slots=True)
class RecurringCharge:
    """Charged every month in advance, prorated by day for partial periods."""

    monthly_amount: Decimal

    def __post_init__(self) -> None:
        _non_negative("a recurring amount", self.monthly_amount)


@dataclass(frozen=True, slots=True)
class PerUnitUsage:
    """Usage in arrears: ``unit_price`` per ``unit`` beyond ``included`` units per billing period."""

    unit: str
    unit_price: Decimal
    included: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _non_negative("a unit price", self.unit_price)
        _non_negative("an included allowance", self.included)


@dataclass(frozen=True, slots=True)
class Tier:
    """Units up to ``up_to`` (inclusive; ``None``: no upper bound) at ``unit_price``, plus ``flat_fee``
    once when the tier is reached."""

    up_to: Decimal | None
    unit_price: Decimal
    flat_fee: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _non_negative("a tier's unit price", self.unit_price)
        _non_negative("a tier's flat fee", self.flat_fee)
        if self.up_to is not None:
            _non_negative("a tier's upper bound", self.up_to)


def _check_tiers(tiers: tuple[Tier, ...]) -> None:
    if not tiers:
        raise InvalidPriceError("a tiered price needs at least one tier")
    bounds = [t.up_to for t in tiers]
    if bounds[-1] is not None:
        raise InvalidPriceError("the last tier must have no upper bound (up_to: null)")
    finite = [b for b in bounds[:-1] if b is not None]
    if len(finite) != len(bounds) - 1 or any(b <= a for a, b in pairwise(finite)):
        raise InvalidPriceError(f"tier bounds must rise strictly and only the last may be open: {bounds}")


@dataclass(frozen=True, slots=True)
class GraduatedUsage:
    """Each unit priced by the tier it falls in (the first 100 GB at one price, the next at another)."""

    unit: str
    tiers: tuple[Tier, ...]

    def __post_init__(self) -> None:
        _check_tiers(self.tiers)


@dataclass(frozen=True, slots=True)
class VolumeUsage:
    """Every unit priced by the one tier the period's total falls in."""

    unit: str
    tiers: tuple[Tier, ...]

    def __post_init__(self) -> None:
        _check_tiers(self.tiers)


@dataclass(frozen=True, slots=True)
class BurstableUsage:
    """IP-transit style: sort the period's 5-minute rate samples (Mbit/s), drop the top
    ``100 - percentile`` percent, and bill the highest remaining sample above ``committed_mbps`` at
    ``price_per_mbps`` (the committed rate itself is paid by the offering's recurring charge)."""

    committed_mbps: Decimal
    price_per_mbps: Decimal
    percentile: Decimal = Decimal(95)

    def __post_init__(self) -> None:
        _non_negative("a committed rate", self.committed_mbps)
        _non_negative("a price per Mbit/s", self.price_per_mbps)
        if not Decimal(0) < to_decimal(self.percentile) <= Decimal(100):
            raise InvalidPriceError(f"a percentile must be in (0, 100], got {self.percentile}")


UsageCharge = PerUnitUsage | GraduatedUsage | VolumeUsage | BurstableUsage
PriceComponent = OneTimeCharge | RecurringCharge | UsageCharge


def price_type(component: PriceComponent) -> PriceType:
    """The TMF620 ``priceType`` of a component."""
    if isinstance(component, OneTimeCharge):
        return PriceType.ONE_TIME
    if isinstance(component, RecurringCharge):
        return PriceType.RECURRING
    return PriceType.USAGE


class DiscountKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


@dataclass(frozen=True, slots=True)
class Promotion:
    """A discount on the recurring charge for the first ``months`` billing months of a subscription:
    ``value`` percent of it, or a fixed amount per month (never more than the charge itself)."""

    name: str
    kind: DiscountKind
    value: Decimal
    months: int

    def __post_init__(self) -> None:
        _non_negative("a discount", self.value)
        if self.kind is DiscountKind.PERCENT and self.value > 100:
            raise InvalidPriceError(f"a percentage discount cannot exceed 100, got {self.value}")
        if self.months < 1:
            raise InvalidPriceError(f"a promotion lasts at least one month, got {self.months}")


@dataclass(frozen=True, slots=True)
class Price:
    """One named price of an offering, in one currency."""

    name: str
    currency: str
    component: PriceComponent

    def __post_init__(self) -> None:
        check_currency(self.currency)

    @property
    def price_type(self) -> PriceType:
        return price_type(self.component)


@dataclass(frozen=True, slots=True)
class CreditTier:
    """Monthly availability below ``below_pct`` earns ``credit_pct`` of the monthly recurring charge."""

    below_pct: Decimal
    credit_pct: Decimal

    def __post_init__(self) -> None:
        if not Decimal(0) < to_decimal(self.below_pct) <= Decimal(100):
            raise InvalidPriceError(f"an availability bound must be in (0, 100], got {self.below_pct}")
        if not Decimal(0) <= to_decimal(self.credit_pct) <= Decimal(100):
            raise InvalidPriceError(f"a credit must be 0-100 % of the charge, got {self.credit_pct}")


@dataclass(frozen=True, slots=True)
class SlaTerms:
    """An offering's availability target and credit table; the lowest bound the availability falls
    below decides the credit (99.95 % with tiers 99.9/99/95 -> none; 98 % -> the 99 % tier)."""

    availability_target_pct: Decimal
    credit_tiers: tuple[CreditTier, ...]

    def __post_init__(self) -> None:
        bounds = [t.below_pct for t in self.credit_tiers]
        if bounds != sorted(bounds, reverse=True) or len(set(bounds)) != len(bounds):
            raise InvalidPriceError(f"credit tiers must be listed from the highest bound down: {bounds}")
        credits_ = [t.credit_pct for t in self.credit_tiers]
        if credits_ != sorted(credits_):
            raise InvalidPriceError(f"a lower availability must never earn a smaller credit: {credits_}")
