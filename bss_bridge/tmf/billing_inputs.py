"""Billing's request bodies (TMF635 usage, TMF676 payment, TMF678 bill state, the BSS's bill run,
credit notes, outages, maintenance windows): numbers exact, unknown fields refused, every problem
named by its field."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.billing.metering import UsageKind, UsageSubmission
from bss_bridge.domain.errors import BssDomainError, InvalidRequestError
from bss_bridge.tmf.inputs import NONBLANK, MoneyIn, Ref, TimePeriodIn, TmfModel, instant_problem

VOLUME = ("inboundOctets", "outboundOctets")


def aware(moment: datetime | None, field: str) -> datetime | None:
    """``moment`` if it has a UTC offset (a naive instant is ambiguous) and is within the years billing
    stores (``tmf.inputs.EARLIEST`` to ``LATEST``); refused naming the field otherwise."""
    if moment is not None and (problem := instant_problem(moment)):
        raise InvalidRequestError.one(field, problem)
    return moment


def addressable(key: str, field: str) -> str:
    """``key`` if a client-given id can be one of this API's resource ids: its href percent-encodes it,
    but a ``/`` would still end the path segment for the router, ``.`` and ``..`` are dot segments a
    client resolves away, and a control character (or a lone surrogate) cannot be stored or shown
    sanely. Refused naming the field otherwise."""
    if key in (".", ".."):
        raise InvalidRequestError.one(field, f"{key!r} cannot be a path segment of an href")
    if "/" in key:
        raise InvalidRequestError.one(field, "an id has no '/' (it is one path segment of the resource's href)")
    if odd := _unprintable(key):
        raise InvalidRequestError.one(field, f"an id has no control characters, got {odd!r}")
    return key


def _unprintable(text: str) -> str | None:
    """The first control character or lone surrogate of ``text``, if any."""
    return next((c for c in text if unicodedata.category(c) in ("Cc", "Cs")), None)


RATE = ("inboundMbps", "outboundMbps")
MAX_DIGITS = 20  # more than any count of octets billing takes (the domain bounds them exactly)
PRODUCT_ID_MAX = 200  # bss_usage.product_id's length
# A rate is stored as its decimal text in 64 characters (DecimalText): up to 8 digits before the
# point (the domain's 10^7 Mbit/s), so at most 50 after it
RATE_PLACES = 50


class UsageCharacteristicIn(TmfModel):
    name: str = Field(min_length=1, max_length=64, pattern=NONBLANK)
    value: Any
    value_type: str | None = None


class UsageIn(TmfModel):
    """A TMF635 Usage. ``id`` is the sender's and its idempotency key (TMF635's create has no id of
    its own for this: a resend must be recognisable). ``usageType`` is ``volume`` (characteristics
    inboundOctets, outboundOctets) or ``rate`` (inboundMbps, outboundMbps: a 5-minute sample); the
    product measured is the characteristic ``productId`` (a TMF637 product id)."""

    id: str = Field(min_length=1, max_length=128, pattern=NONBLANK)
    usage_date: datetime
    usage_type: str = Field(pattern="^(volume|rate)$")
    usage_characteristic: list[UsageCharacteristicIn] = Field(min_length=1)
    description: str | None = None
    status: str | None = None

    def submission(self, where: str = "") -> UsageSubmission:
        prefix = f"{where}." if where else ""
        addressable(self.id, f"{prefix}id")
        aware(self.usage_date, f"{prefix}usageDate")
        field = f"{prefix}usageCharacteristic"
        values: dict[str, Any] = {}
        for characteristic in self.usage_characteristic:
            if characteristic.name in values:
                raise InvalidRequestError.one(field, f"{characteristic.name} is given more than once")
            values[characteristic.name] = characteristic.value
        kind = UsageKind(self.usage_type)
        wanted = ("productId", *(VOLUME if kind is UsageKind.VOLUME else RATE))
        if missing := [name for name in wanted if name not in values]:
            raise InvalidRequestError.one(field, f"{missing[0]} is required")
        if extra := sorted(set(values) - {*wanted, "endDateTime"}):
            raise InvalidRequestError.one(field, f"unknown characteristic {extra[0]!r}")
        try:
            return UsageSubmission(
                self.id,
                kind,
                _product(values["productId"]),
                self.usage_date,
                _end(values["endDateTime"]) if "endDateTime" in values else None,
                *(_whole(values[n]) for n in VOLUME) if kind is UsageKind.VOLUME else (None, None),
                *(_exact(values[n], n) for n in RATE) if kind is UsageKind.RATE else (None, None),
            )
        except (BssDomainError, ValueError) as exc:
            raise InvalidRequestError.one(field, str(exc)) from None


def _product(value: Any) -> str:
    """The measured product's id: text that fits its column (anything else would be stored as its
    ``str()``: ``None``, ``{'a': 1}``)."""
    if not isinstance(value, str) or not value.strip() or len(value) > PRODUCT_ID_MAX or _unprintable(value):
        raise ValueError(f"productId is a product id of 1 to {PRODUCT_ID_MAX} printable characters, got {value!r}")
    return value


def _end(value: Any) -> datetime:
    """endDateTime: a date-time string with its offset, within the years billing stores."""
    try:
        end = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        end = None
    if end is None:
        raise ValueError(f"endDateTime is a date-time string (2026-03-01T09:05:00Z), got {value!r}")
    if problem := instant_problem(end):
        raise ValueError(f"endDateTime: {problem}, got {value!r}")
    return end


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError(f"octets are whole numbers, got {value!r}")
    if isinstance(value, Decimal) and (not value.is_finite() or value.adjusted() > MAX_DIGITS):
        raise ValueError(f"octets are whole numbers up to 20 digits, got {value!r}")  # int(1e999999999) never ends
    if value != int(value):
        raise ValueError(f"octets are whole numbers, got {value!r}")
    return int(value)


def _exact(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError(f"a rate is a number of Mbit/s, got {value!r}")
    exact = Decimal(value)
    if isinstance(places := exact.as_tuple().exponent, int) and places < -RATE_PLACES:
        raise ValueError(f"{name} has at most {RATE_PLACES} decimal places, got {value!r}")
    return exact


class UsageImportIn(TmfModel):
    usage: list[UsageIn] = Field(min_length=1)

    def command(self, limit: int) -> bc.ImportUsage:
        if len(self.usage) > limit:
            raise InvalidRequestError.one("usage", f"at most {limit} records per import, got {len(self.usage)}")
        return bc.ImportUsage(tuple(u.submission(f"usage[{n}]") for n, u in enumerate(self.usage)))


class BillPatch(TmfModel):
    state: str = Field(pattern="^(validated|sent|onHold)$")


class BillRunIn(TmfModel):
    as_of: datetime | None = None
    billing_account: list[Ref] | None = None
    preview: bool = False

    def command(self) -> bc.RunBilling:
        accounts = None if self.billing_account is None else tuple(a.id for a in self.billing_account)
        return bc.RunBilling(aware(self.as_of, "asOf"), accounts, self.preview)


class PaymentMethodIn(TmfModel):
    id: str | None = None
    name: str | None = None
    href: str | None = None
    description: str | None = None
    referred_type: str | None = Field(None, alias="@referredType")


class PaymentIn(TmfModel):
    """A TMF676 Payment_Create; ``correlatorId`` is required here: it is the idempotency key."""

    correlator_id: str = Field(min_length=1, max_length=128, pattern=NONBLANK)
    account: Ref
    payment_method: PaymentMethodIn
    total_amount: MoneyIn
    amount: MoneyIn | None = None
    tax_amount: MoneyIn | None = None
    payment_date: datetime | None = None
    description: str | None = None
    name: str | None = None
    authorization_code: str | None = None

    def command(self) -> bc.RecordPayment:
        addressable(self.correlator_id, "correlatorId")  # the payment's id, in its href
        method = self.payment_method.name or self.payment_method.id or ""
        return bc.RecordPayment(
            self.correlator_id,
            self.account.id,
            self.total_amount.value,
            self.total_amount.unit,
            aware(self.payment_date, "paymentDate"),
            method,
            self.description or "",
        )


class CreditNoteIn(TmfModel):
    id: str = Field(min_length=1, max_length=128, pattern=NONBLANK)
    billing_account: Ref
    amount: MoneyIn
    reason: str = Field(min_length=1, max_length=500, pattern=NONBLANK)
    bill: Ref | None = None

    def command(self) -> bc.IssueCreditNote:
        return bc.IssueCreditNote(
            self.id,
            self.billing_account.id,
            self.amount.value,
            self.reason,
            self.bill.id if self.bill else None,
            self.amount.unit,
        )


class OutageIn(TmfModel):
    id: str = Field(min_length=1, max_length=128, pattern=NONBLANK)
    product: Ref
    valid_for: TimePeriodIn
    description: str = ""

    def command(self) -> bc.RecordOutage:
        start = aware(self.valid_for.start_date_time, "validFor.startDateTime")
        end = aware(self.valid_for.end_date_time, "validFor.endDateTime")
        if start is None:
            raise InvalidRequestError.one("validFor.startDateTime", "is required")
        if end is not None and end < start:
            raise InvalidRequestError.one("validFor.endDateTime", "an outage cannot end before it starts")
        return bc.RecordOutage(self.id, self.product.id, start, self.valid_for.end_date_time, self.description)


class MaintenanceIn(TmfModel):
    id: str = Field(min_length=1, max_length=128, pattern=NONBLANK)
    valid_for: TimePeriodIn
    description: str = ""
    product: list[Ref] = Field(default_factory=list)

    def command(self) -> bc.RecordMaintenance:
        start = aware(self.valid_for.start_date_time, "validFor.startDateTime")
        end = aware(self.valid_for.end_date_time, "validFor.endDateTime")
        if start is None or end is None:
            raise InvalidRequestError.one("validFor", "a maintenance window has a start and an end")
        return bc.RecordMaintenance(self.id, start, end, self.description, tuple(p.id for p in self.product))
