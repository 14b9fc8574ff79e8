"""Billing's commands: usage import and guiding, rating, bill runs, bill states, payments, credit
notes, dunning, outages and maintenance windows. Each has one handler that raises on failure and
then stores nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bss_bridge.domain.billing.metering import UsageSubmission
from bss_bridge.domain.commands import Command


@dataclass(frozen=True, slots=True)
class ImportUsage(Command):
    """Store records (idempotent on their ids), guide each to its subscription."""

    records: tuple[UsageSubmission, ...]


@dataclass(frozen=True, slots=True)
class GuideUsage(Command):
    """Try again to attribute the ``received`` records (of these products; all when None)."""

    product_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class RateUsage(Command):
    """Count every guided record not yet rated into its group's totals."""


@dataclass(frozen=True, slots=True)
class RunBilling(Command):
    """Bill every due period up to ``as_of`` (None: now) of these accounts (None: all); with
    ``preview`` compute the invoices and store nothing."""

    as_of: datetime | None = None
    account_ids: tuple[str, ...] | None = None
    preview: bool = False


@dataclass(frozen=True, slots=True)
class ChangeBillState(Command):
    bill_id: str
    state: str


@dataclass(frozen=True, slots=True)
class RecordPayment(Command):
    """A payment received (TMF676), idempotent on ``key`` (its correlatorId)."""

    key: str
    account_id: str
    amount: Decimal
    currency: str | None  # as given (TMF ``totalAmount.unit``): refused unless the account's; None: the account's
    paid_at: datetime | None = None
    method: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class IssueCreditNote(Command):
    """A credit owed back to the customer, idempotent on ``key``; numbered CN-<year>-<n>."""

    key: str
    account_id: str
    amount: Decimal
    reason: str
    bill_id: str | None = None
    currency: str | None = None  # as given (TMF ``amount.unit``): refused unless the account's; None: the account's


@dataclass(frozen=True, slots=True)
class RunDunning(Command):
    """Suspend the subscriptions of accounts with an invoice unpaid past the grace; resume the
    ones dunning suspended once nothing is overdue."""

    as_of: datetime | None = None


@dataclass(frozen=True, slots=True)
class RecordOutage(Command):
    """An outage of a subscription (idempotent on ``outage_id``; the same id again updates its end)."""

    outage_id: str
    subscription_id: str
    start: datetime
    end: datetime | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class RecordMaintenance(Command):
    window_id: str
    start: datetime
    end: datetime
    description: str = ""
    products: tuple[str, ...] = ()
