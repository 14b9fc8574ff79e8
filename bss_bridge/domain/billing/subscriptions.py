"""What billing needs to know of a subscription: the prices it was sold at, when it started, every
price change, and when it ended, turned into a timeline of local dates.

Why: proration bugs come from instants compared across zones and from same-day changes billed twice
(Kill Bill #783/#877: a $0 -> $3 change on the same day raised "Double billing detected"). Billing
here works in whole local days of the account's zone:

- an activation, a change or a termination takes effect from the *local date* of its instant; the
  subscription is billed for the days ``[activation date, termination date)``: the activation day
  is billed, the termination day is not;
- several events on one day leave that day to the last of them: a change on the activation day
  replaces the first snapshot outright (no line for it), a termination on that day bills no day.

**Upgrades and downgrades** (:func:`change_effective_date`). An upgrade (a new monthly recurring
total at least the old one) takes effect on the day it is asked for: the unused part of the old
price is credited and the new price charged for the rest of the period. A downgrade takes effect at
the start of the next billing period: the customer has paid the period in advance and keeps what
was paid for (no mid-period refund), and the network change is scheduled for the same date. Billing
itself rates whatever dates it is given, so an operator may still apply a downgrade at once; it is
then credited and charged like an upgrade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from bss_bridge.domain.billing.cycles import BillCycle, require_aware
from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.pricing import (
    BurstableUsage,
    DiscountKind,
    OneTimeCharge,
    Price,
    Promotion,
    RecurringCharge,
    SlaTerms,
)


@dataclass(frozen=True, slots=True)
class PriceSnapshot:
    """The terms a subscription is billed on, copied from the offering when sold (a later catalog
    price change does not touch it): the offering's name, its prices, an optional promotion on the
    recurring charges (counted from the activation day) and optional SLA terms."""

    offering: str
    prices: tuple[Price, ...]
    promotion: Promotion | None = None
    sla: SlaTerms | None = None
    _hash: int = field(init=False, repr=False, compare=False, default=0)
    _by_unit: dict[str, Price] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __hash__(self) -> int:  # a bill run looks its terms up thousands of times: hashed once
        return self._hash

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.offering, self.prices, self.promotion, self.sla)))
        names = [p.name for p in self.prices]
        if len(set(names)) != len(names):
            raise InvalidBillingInputError(f"{self.offering}: two prices share a name: {names}")
        if len({p.currency for p in self.prices}) > 1:
            raise InvalidBillingInputError(f"{self.offering}: prices in more than one currency")
        units = [unit for p in self.prices if (unit := usage_unit(p)) is not None]
        if len(set(units)) != len(units):
            raise InvalidBillingInputError(f"{self.offering}: two usage prices rate the same unit: {units}")
        self._by_unit.update((unit, p) for p in self.prices if (unit := usage_unit(p)) is not None)
        if (
            self.promotion is not None
            and self.promotion.kind is DiscountKind.FIXED
            and len(self.recurring) != 1
        ):
            raise InvalidBillingInputError(f"{self.offering}: a fixed promotion needs exactly one recurring price")

    @property
    def recurring(self) -> tuple[Price, ...]:
        return tuple(p for p in self.prices if isinstance(p.component, RecurringCharge))

    @property
    def monthly_prices(self) -> tuple[tuple[str, Decimal], ...]:
        """``(price name, monthly amount)`` of each recurring price."""
        return tuple((p.name, p.component.monthly_amount) for p in self.prices
                     if isinstance(p.component, RecurringCharge))

    @property
    def one_time(self) -> tuple[Price, ...]:
        return tuple(p for p in self.prices if isinstance(p.component, OneTimeCharge))

    @property
    def monthly_recurring(self) -> Decimal:
        """The sum of the recurring prices per month, before any promotion."""
        return sum((amount for _, amount in self.monthly_prices), Decimal(0))

    def usage_price(self, unit: str) -> Price | None:
        """The usage price that rates ``unit`` (``Mbit/s`` for the burstable one), if any."""
        return self._by_unit.get(unit)


def usage_unit(price: Price) -> str | None:
    """The unit a usage price rates (``Mbit/s`` samples for burstable), None for other prices."""
    component = price.component
    if isinstance(component, BurstableUsage):
        return "Mbit/s"
    if isinstance(component, (OneTimeCharge, RecurringCharge)):
        return None
    return component.unit


@dataclass(frozen=True, slots=True)
class PriceChange:
    """From ``at`` on (its local date), the subscription is billed on ``snapshot``."""

    at: datetime
    snapshot: PriceSnapshot


@dataclass(frozen=True, slots=True)
class Segment:
    """Local dates ``[start, end)`` (``end`` None: still running) billed on one snapshot."""

    start: date
    end: date | None
    snapshot: PriceSnapshot


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription as billing sees it (TMF637 product: startDate, terminationDate, its prices)."""

    id: str
    activated_at: datetime
    snapshot: PriceSnapshot
    changes: tuple[PriceChange, ...] = ()
    terminated_at: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self.activated_at, f"subscription {self.id}: activation")
        previous = self.activated_at
        for change in self.changes:
            require_aware(change.at, f"subscription {self.id}: price change")
            if change.at < previous:
                raise InvalidBillingInputError(
                    f"subscription {self.id}: price change at {change.at.isoformat()} before {previous.isoformat()}"
                )
            previous = change.at
        if self.terminated_at is not None:
            require_aware(self.terminated_at, f"subscription {self.id}: termination")
            if self.terminated_at < previous:
                raise InvalidBillingInputError(
                    f"subscription {self.id}: terminated at {self.terminated_at.isoformat()}, "
                    f"before its activation or last change ({previous.isoformat()})"
                )
        if len({p.currency for s in self.snapshots for p in s.prices}) > 1:
            raise InvalidBillingInputError(f"subscription {self.id}: its snapshots are in different currencies")

    @property
    def snapshots(self) -> tuple[PriceSnapshot, ...]:
        return (self.snapshot, *(c.snapshot for c in self.changes))

    def activation_date(self, cycle: BillCycle) -> date:
        return cycle.local_date(self.activated_at)

    def termination_date(self, cycle: BillCycle) -> date | None:
        return None if self.terminated_at is None else cycle.local_date(self.terminated_at)

    @property
    def terms(self) -> Terms:
        """Everything billed of it but its id: subscriptions with equal terms are billed alike."""
        return (self.activated_at, self.snapshot, self.changes, self.terminated_at)

    def segments(self, cycle: BillCycle) -> list[Segment]:
        """The billed timeline in the account's local dates; empty segments (same-day events) left out."""
        return list(_segments(self.terms, cycle))

    def first_snapshot(self, cycle: BillCycle) -> PriceSnapshot:
        """The snapshot in effect at the end of the activation day (a same-day change replaced the first)."""
        activation = self.activation_date(cycle)
        same_day = [c.snapshot for c in self.changes if cycle.local_date(c.at) == activation]
        return same_day[-1] if same_day else self.snapshot

    def active_on(self, day: date, cycle: BillCycle) -> bool:
        end = self.termination_date(cycle)
        return self.activation_date(cycle) <= day and (end is None or day < end)


Terms = tuple[datetime, PriceSnapshot, tuple[PriceChange, ...], datetime | None]


@lru_cache(maxsize=4096)  # a bill run rates thousands of subscriptions sold on the same few terms
def _segments(terms: Terms, cycle: BillCycle) -> tuple[Segment, ...]:
    activated_at, first, changes, terminated_at = terms
    starts = [(cycle.local_date(activated_at), first)]
    starts += [(cycle.local_date(c.at), c.snapshot) for c in changes]
    ends: list[date | None] = [start for start, _ in starts[1:]]
    ends.append(None if terminated_at is None else cycle.local_date(terminated_at))
    return tuple(
        Segment(start, end, snapshot)
        for (start, snapshot), end in zip(starts, ends, strict=True)
        if end is None or start < end
    )


def change_effective_date(cycle: BillCycle, requested_at: datetime, old: PriceSnapshot, new: PriceSnapshot) -> date:
    """The local date a requested change takes effect: an upgrade (the new monthly recurring total
    at least the old one) on the requested day, a downgrade at the start of the next billing period."""
    requested = cycle.local_date(requested_at)
    if new.monthly_recurring >= old.monthly_recurring:
        return requested
    period = cycle.period_containing(requested)
    return requested if requested == period.start else period.end


def sole(items: Sequence[Subscription]) -> dict[str, Subscription]:
    """The subscriptions by id; two with one id are an error, not a silent overwrite."""
    found: dict[str, Subscription] = {}
    for item in items:
        if item.id in found:
            raise InvalidBillingInputError(f"subscription {item.id} is given twice")
        found[item.id] = item
    return found
