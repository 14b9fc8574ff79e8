"""Rating: a usage price applied to one period's aggregated usage, unrounded.

Why this shape: a bill run rates millions of records, so rating never sees a record. It takes the
period's *total* (one ``Decimal`` per subscription, unit and period, summed by the database or by
:mod:`~bss_bridge.domain.billing.usage`) and returns the parts of the charge, each with its exact
quantity, unit price and unrounded amount; :func:`~bss_bridge.domain.billing.lines.make_line`
rounds each part once. The parts are a function of the total alone, so rating again with more
usage and taking the difference part by part bills late usage exactly (see ``invoice``).

Tier bounds are inclusive (``up_to: 100`` holds the 100th unit). A tier, and its flat fee, is
reached when at least one unit falls in it: no usage, no charge. Parts with nothing in them are
left out (a part within the allowance stays: its quantity says what the allowance covered).

**The percentile rule** (95th-percentile burstable, as IP transit is sold): the period's ``n``
5-minute rate samples sorted ascending, the billed rate is the ``k``-th smallest with
``k = ceil(n * percentile / 100)``, i.e. the top ``floor(n * (100 - percentile) / 100)`` samples
(5 % at the 95th, rounded down so never more than 5 %) are dropped and the highest remaining is
kept. 8,640 samples (30 days) drop 432 and bill the 8,208th; 10 samples drop none. Inbound and
outbound are ranked separately and the higher of the two is billed (the usual "greater of in or
out"); the billed quantity is that rate's excess over the committed rate, never negative.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.pricing import (
    BurstableUsage,
    GraduatedUsage,
    PerUnitUsage,
    Tier,
    UsageCharge,
    VolumeUsage,
)

ZERO = Decimal(0)
MBPS = "Mbit/s"


@dataclass(frozen=True, slots=True)
class RatedPart:
    """One part of a usage charge: ``part`` is its stable key within the price (``included``,
    ``tier 2``...), ``amount`` the unrounded ``quantity * unit_price + flat_fee``."""

    part: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    flat_fee: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price + self.flat_fee


def _check_quantity(quantity: Decimal) -> Decimal:
    if not quantity.is_finite() or quantity < 0:
        raise InvalidBillingInputError(f"a usage total must be a finite, non-negative number, got {quantity}")
    return quantity


def rate_per_unit(price: PerUnitUsage, quantity: Decimal) -> tuple[RatedPart, ...]:
    """The allowance used (at no charge) and the units beyond it at the unit price."""
    _check_quantity(quantity)
    included = min(quantity, price.included)
    above = quantity - included
    parts = []
    if included:
        parts.append(RatedPart("included", f"{included} of {price.included} {price.unit} included", included, ZERO))
    if above:
        description = f"{above} {price.unit} at {price.unit_price}"
        parts.append(RatedPart("above allowance", description, above, price.unit_price))
    return tuple(parts)


def _lower_bounds(tiers: tuple[Tier, ...]) -> list[Decimal]:
    return [ZERO, *(t.up_to for t in tiers[:-1] if t.up_to is not None)]


def _describe(index: int, tier: Tier, lower: Decimal, unit: str) -> str:
    upper = "and above" if tier.up_to is None else f"to {tier.up_to}"
    fee = f" + {tier.flat_fee} flat" if tier.flat_fee else ""
    return f"tier {index} ({lower} {upper} {unit}) at {tier.unit_price}{fee}"


def rate_graduated(price: GraduatedUsage, quantity: Decimal) -> tuple[RatedPart, ...]:
    """Each unit at the price of the tier it falls in; each tier reached adds its flat fee once."""
    _check_quantity(quantity)
    parts = []
    for index, (tier, lower) in enumerate(zip(price.tiers, _lower_bounds(price.tiers), strict=True), start=1):
        if quantity <= lower:
            break
        units = (quantity if tier.up_to is None else min(quantity, tier.up_to)) - lower
        parts.append(RatedPart(f"tier {index}", _describe(index, tier, lower, price.unit), units, tier.unit_price,
                               tier.flat_fee))
    return tuple(parts)


def rate_volume(price: VolumeUsage, quantity: Decimal) -> tuple[RatedPart, ...]:
    """Every unit at the price of the one tier the total falls in, plus that tier's flat fee."""
    _check_quantity(quantity)
    if not quantity:
        return ()
    for index, (tier, lower) in enumerate(zip(price.tiers, _lower_bounds(price.tiers), strict=True), start=1):
        if tier.up_to is None or quantity <= tier.up_to:
            return (RatedPart(f"tier {index}", _describe(index, tier, lower, price.unit), quantity, tier.unit_price,
                              tier.flat_fee),)
    raise AssertionError("the last tier is unbounded")  # pricing._check_tiers guarantees it


def rate_quantity(price: UsageCharge, quantity: Decimal) -> tuple[RatedPart, ...]:
    """The parts of a volume price (per unit, graduated or volume) for one period's total."""
    if isinstance(price, PerUnitUsage):
        return rate_per_unit(price, quantity)
    if isinstance(price, GraduatedUsage):
        return rate_graduated(price, quantity)
    if isinstance(price, VolumeUsage):
        return rate_volume(price, quantity)
    raise InvalidBillingInputError("a burstable price is rated from rate samples, not a total (rate_burstable)")


def percentile_rank(count: int, percentile: Decimal) -> int:
    """The 1-based ascending rank kept among ``count`` samples: ``ceil(count * percentile / 100)``."""
    if count <= 0:
        return 0
    return int((Decimal(count) * percentile / 100).to_integral_value(rounding=ROUND_CEILING))


def percentile_rate(samples: Sequence[Decimal], percentile: Decimal) -> Decimal:
    """The sample kept by the percentile rule (the module docstring); 0 without samples."""
    rank = percentile_rank(len(samples), percentile)
    if not rank:
        return ZERO
    # Only the dropped top and the kept sample are ordered: O(n log d), not a full sort.
    return heapq.nlargest(len(samples) - rank + 1, samples)[-1]


def rate_burstable(
    price: BurstableUsage, inbound: Sequence[Decimal], outbound: Sequence[Decimal] = ()
) -> tuple[RatedPart, ...]:
    """The excess of the higher of the inbound and outbound percentile rates over the commitment."""
    for rate in (*inbound, *outbound):
        _check_quantity(rate)
    measured = max(percentile_rate(inbound, price.percentile), percentile_rate(outbound, price.percentile))
    above = max(measured - price.committed_mbps, ZERO)
    if not above:
        return ()
    description = (
        f"{price.percentile}th percentile {measured} {MBPS} over a commitment of {price.committed_mbps} {MBPS}: "
        f"{above} {MBPS} at {price.price_per_mbps}"
    )
    return (RatedPart("above commitment", description, above, price.price_per_mbps),)
