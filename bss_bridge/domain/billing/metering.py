"""Usage as the OSS measures it (TMF635): what one record says, its content fingerprint, how it is
guided to a subscription, and how octets become the unit a price is in.

Two kinds of record arrive from the bridge:

- ``volume``: octets in and out of a service over an interval starting at ``usage_date``. Billed
  as their sum (traffic in both directions), converted to the price's unit (``GB`` = 10^9 octets,
  decimal units as the catalog says). Stored and summed as whole octets, so the database's sum
  is exact;
- ``rate``: one 5-minute average rate in each direction in Mbit/s, for burstable offers (the
  95th-percentile rule ranks them per billing period).

**Idempotency.** A record's ``id`` is its idempotency key: the same id with the same content is the
same record (counted once), the same id with other content is refused and reported. "Content" is
the fingerprint below: every field the record was sent with, normalised (instants in UTC, numbers
exact), so a resend that only reorders or re-encodes the JSON is still the same record.

**Guiding.** A record is attributed to its subscription (``product_id``: the TMF637 product id)
when that subscription exists, is not a bundle, and was live at ``usage_date`` (activated at or
before it, not terminated by then). Otherwise it is kept as ``received`` with the reason, listed
for an operator, and guided again later (the subscription may be activated after its first usage
arrives); it is never dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import MAX_PREC, Context, Decimal
from enum import StrEnum

from bss_bridge.domain.billing.charges import Scope
from bss_bridge.domain.billing.cycles import require_aware
from bss_bridge.domain.billing.errors import InvalidBillingInputError
from bss_bridge.domain.money import to_decimal

# Units a volume price may be in, as powers of ten of an octet (decimal units, as the catalog says).
BYTE_UNITS: dict[str, int] = {"B": 0, "kB": 3, "MB": 6, "GB": 9, "TB": 12}
MAX_OCTETS = 10**15  # one record: a petabyte; beyond that it is a counter error, not traffic
MAX_MBPS = Decimal(10) ** 7  # 10 Tbit/s
# Trailing zeros dropped, never a digit: the default context's normalize() rounds to 28 digits, and
# two rates that differ beyond them had one fingerprint (a changed resend was counted as the same)
EXACT = Context(prec=MAX_PREC)


class UsageKind(StrEnum):
    VOLUME = "volume"
    RATE = "rate"


class UsageStatus(StrEnum):
    """TMF635's statuses as this BSS uses them (``rejected``, ``recycled``, ``rerated`` are not)."""

    RECEIVED = "received"  # kept, not attributable to a live subscription (yet): ``problem`` says why
    GUIDED = "guided"  # attributed to its subscription, account and billing period
    RATED = "rated"  # counted in its group's totals by a rating pass
    BILLED = "billed"  # on an issued invoice


@dataclass(frozen=True, slots=True)
class UsageSubmission:
    """One record as sent: ``id`` (its idempotency key), the product it measures, when, and what."""

    id: str
    kind: UsageKind
    product_id: str
    usage_date: datetime
    end_date: datetime | None = None
    inbound_octets: int | None = None
    outbound_octets: int | None = None
    inbound_mbps: Decimal | None = None
    outbound_mbps: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 128:
            raise InvalidBillingInputError("a usage record needs an id of 1-128 characters (its idempotency key)")
        if not self.product_id:
            raise InvalidBillingInputError(f"usage {self.id}: which product it measures (productId) is required")
        require_aware(self.usage_date, f"usage {self.id}")
        if self.end_date is not None and require_aware(self.end_date, f"usage {self.id} end") < self.usage_date:
            raise InvalidBillingInputError(f"usage {self.id}: its interval ends before it starts")
        volume = (self.inbound_octets, self.outbound_octets)
        rates = (self.inbound_mbps, self.outbound_mbps)
        if self.kind is UsageKind.VOLUME:
            if None in volume or any(r is not None for r in rates):
                raise InvalidBillingInputError(f"usage {self.id}: a volume has inboundOctets and outboundOctets only")
            for octets in volume:
                if isinstance(octets, bool) or not isinstance(octets, int) or not 0 <= octets <= MAX_OCTETS:
                    raise InvalidBillingInputError(
                        f"usage {self.id}: octets are whole numbers from 0 to {MAX_OCTETS}, got {octets!r}"
                    )
        else:
            if None in rates or any(v is not None for v in volume):
                raise InvalidBillingInputError(f"usage {self.id}: a rate sample has inboundMbps and outboundMbps only")
            for rate in rates:
                if rate is None or not 0 <= to_decimal(rate) <= MAX_MBPS:
                    raise InvalidBillingInputError(f"usage {self.id}: a rate is 0 to {MAX_MBPS} Mbit/s, got {rate}")

    @property
    def fingerprint(self) -> str:
        """A digest of the whole content: equal for a faithful resend, different for any change."""
        parts = [
            self.kind.value,
            self.product_id,
            _utc(self.usage_date),
            _utc(self.end_date) if self.end_date else "",
            *("" if v is None else str(v) for v in (self.inbound_octets, self.outbound_octets)),
            *("" if v is None else f"{v.normalize(EXACT):f}" for v in (self.inbound_mbps, self.outbound_mbps)),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    @property
    def octets(self) -> int:
        return (self.inbound_octets or 0) + (self.outbound_octets or 0)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def in_unit(octets: int, unit: str) -> Decimal:
    """``octets`` in ``unit`` (a key of :data:`BYTE_UNITS`), exactly, without trailing zeros."""
    value = Decimal(octets).scaleb(-BYTE_UNITS[unit]).normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def guide_problem(
    product_id: str,
    usage_date: datetime,
    *,
    exists: bool,
    bundle: bool,
    start: datetime | None,
    termination: datetime | None,
) -> str:
    """Why a record cannot be attributed to ``product_id`` (empty when it can)."""
    if not exists:
        return f"no product {product_id!r} in the product inventory"
    if bundle:
        return f"product {product_id} is a bundle: usage is measured on its components"
    if start is None:
        return f"product {product_id} is not active yet"
    if usage_date < start:
        return f"usage at {_utc(usage_date)} precedes the activation of {product_id} ({_utc(start)})"
    if termination is not None and usage_date >= termination:
        return f"usage at {_utc(usage_date)} follows the termination of {product_id} ({_utc(termination)})"
    return ""


def volume_unit(scope: Scope) -> str:
    """The unit the subscription's volume price is in on the terms usage is rated on (``GB`` when it
    has none: billing then reports the usage as having no price)."""
    snapshot = scope.snapshot()
    if snapshot is not None:
        for unit in BYTE_UNITS:
            if snapshot.usage_price(unit) is not None:
                return unit
    return "GB"
