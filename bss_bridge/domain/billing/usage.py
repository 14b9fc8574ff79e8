"""Usage as billing takes it: records deduplicated on their id, summed per subscription, unit and
billing period before anything is rated, and 5-minute rate samples grouped per period.

Why: a record sent twice must be counted once, and a record resent with the same id but other
content must be refused, not silently replace or double the first (Lago #3049: duplicates were
ignored only within one payload; lago-agent-toolkit #65: a retry with a fresh id double-billed).
:func:`accept_usage` is that rule for an import against what is already stored;
:func:`aggregate_usage` applies it again to its own input, so a total can never count a record twice.

Rating works on the totals (one ``Decimal`` sum per group), never per record; a record belongs to
the billing period of its ``at`` (the start of the interval it measures) in the account's zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from bss_bridge.domain.billing.cycles import BillCycle, BillingPeriod, require_aware
from bss_bridge.domain.billing.errors import InvalidBillingInputError, UsageConflictError
from bss_bridge.domain.money import to_decimal


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One TMF635 usage: ``quantity`` of ``unit`` measured from ``at`` for a subscription."""

    id: str
    subscription_id: str
    unit: str
    at: datetime
    quantity: Decimal

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidBillingInputError("a usage record needs an id (its idempotency key)")
        require_aware(self.at, f"usage {self.id}")
        if to_decimal(self.quantity) < 0:
            raise InvalidBillingInputError(f"usage {self.id}: a negative quantity ({self.quantity})")


@dataclass(frozen=True, slots=True)
class UsageImport:
    """What an import did: records ``new`` to store, ids already known with the same content
    (``duplicates``, counted once), ids known with other content (``conflicts``, refused)."""

    new: tuple[UsageRecord, ...]
    duplicates: tuple[str, ...]
    conflicts: tuple[str, ...]


def accept_usage(known: Mapping[str, UsageRecord], incoming: Iterable[UsageRecord]) -> UsageImport:
    """Sort an incoming batch against the stored records (``known``, by id) and against itself."""
    seen: dict[str, UsageRecord] = {}
    new: list[UsageRecord] = []
    duplicates: list[str] = []
    conflicts: list[str] = []
    for record in incoming:
        first = known.get(record.id) or seen.get(record.id)
        if first is None:
            seen[record.id] = record
            new.append(record)
        elif first == record:
            duplicates.append(record.id)
        else:
            conflicts.append(record.id)
    return UsageImport(tuple(new), tuple(duplicates), tuple(conflicts))


@dataclass(frozen=True, slots=True)
class UsageKey:
    """A group of usage rated together: one subscription, one unit, one billing period."""

    subscription_id: str
    unit: str
    period_start: date


@dataclass(frozen=True, slots=True)
class UsageTotal:
    """All the usage of one group, billed or not: its summed ``quantity`` over ``records`` distinct
    records. Billing rates the complete total and subtracts what earlier lines billed, so a total
    given twice, or a bill run repeated, never bills a record twice."""

    key: UsageKey
    quantity: Decimal
    records: int = 1


def aggregate_usage(records: Iterable[UsageRecord], cycle: BillCycle) -> list[UsageTotal]:
    """Totals per subscription, unit and period; a repeated id counts once, a conflicting one raises
    :class:`~bss_bridge.domain.billing.errors.UsageConflictError` (nothing is totalled)."""
    imported = accept_usage({}, records)
    if imported.conflicts:
        raise UsageConflictError(imported.conflicts)
    period: BillingPeriod | None = None  # the last record's period: the next one is most likely in it too
    sums: dict[tuple[str, str, date], list[Decimal | int]] = {}
    for record in imported.new:
        if period is None or not period.starts_at <= record.at < period.ends_at:
            period = cycle.period_at(record.at)
        group = sums.setdefault((record.subscription_id, record.unit, period.start), [Decimal(0), 0])
        group[0] += record.quantity
        group[1] += 1
    return [UsageTotal(UsageKey(*key), Decimal(total), int(count)) for key, (total, count) in sums.items()]


@dataclass(frozen=True, slots=True)
class RateSample:
    """A 5-minute average rate in each direction, in Mbit/s, for a burstable subscription."""

    subscription_id: str
    at: datetime
    inbound_mbps: Decimal
    outbound_mbps: Decimal

    def __post_init__(self) -> None:
        require_aware(self.at, f"rate sample of {self.subscription_id}")
        if to_decimal(self.inbound_mbps) < 0 or to_decimal(self.outbound_mbps) < 0:
            raise InvalidBillingInputError(f"rate sample of {self.subscription_id} at {self.at}: a negative rate")


@dataclass(frozen=True, slots=True)
class SampleSet:
    """Every rate sample of one subscription in one billing period (the percentile needs them all)."""

    subscription_id: str
    period_start: date
    samples: tuple[RateSample, ...]


def group_samples(samples: Iterable[RateSample], cycle: BillCycle) -> list[SampleSet]:
    """Samples per subscription and period; one instant sampled twice counts once if equal and
    raises :class:`~bss_bridge.domain.billing.errors.UsageConflictError` if not."""
    unique: dict[tuple[str, datetime], RateSample] = {}
    conflicts: list[str] = []
    for sample in samples:
        first = unique.setdefault((sample.subscription_id, sample.at), sample)
        if first != sample:
            conflicts.append(f"{sample.subscription_id}@{sample.at.isoformat()}")
    if conflicts:
        raise UsageConflictError(tuple(conflicts))
    groups: dict[tuple[str, date], list[RateSample]] = {}
    period: BillingPeriod | None = None
    for sample in unique.values():
        if period is None or not period.starts_at <= sample.at < period.ends_at:
            period = cycle.period_at(sample.at)
        groups.setdefault((sample.subscription_id, period.start), []).append(sample)
    return [SampleSet(sub, start, tuple(found)) for (sub, start), found in groups.items()]
