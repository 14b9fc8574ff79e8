"""The account balance: invoices, payments, credit notes and refunds as an append-only ledger.

Why: a payment retried by a client or a provider webhook delivered twice must not be counted twice
(Lago #5708: a checkout link and an automatic charge paid one invoice twice), and a retry whose
amount differs is a different fact that must not overwrite the first. Every entry carries its own
idempotency key (the invoice number, the payment id...): posting an entry already in the ledger
changes nothing, posting a different entry under a used key is refused (Stripe's rule for
idempotency keys). Amounts are positive and already rounded to the currency's minor unit; the
direction comes from the kind.

The balance is what the customer owes (negative: in credit). For dunning, payments and credit
notes are allocated to invoices oldest due date first; an invoice still open ``grace_days`` after
its due date is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from bss_bridge.domain.billing.cycles import require_aware
from bss_bridge.domain.billing.errors import InvalidBillingInputError, LedgerConflictError
from bss_bridge.domain.money import check_currency, round_money


class EntryKind(StrEnum):
    INVOICE = "invoice"  # the customer owes it (TMF678 customerBill)
    PAYMENT = "payment"  # the customer paid (TMF676 payment)
    CREDIT_NOTE = "creditNote"  # owed back to the customer
    REFUND = "refund"  # money returned to the customer


DEBITS = frozenset({EntryKind.INVOICE, EntryKind.REFUND})


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One fact about an account's money; ``id`` is its idempotency key within its kind."""

    id: str
    kind: EntryKind
    amount: Decimal
    currency: str
    at: datetime
    due: date | None = None

    def __post_init__(self) -> None:
        check_currency(self.currency)
        require_aware(self.at, f"{self.kind} {self.id}")
        if not self.id:
            raise InvalidBillingInputError(f"a {self.kind} needs an id (its idempotency key)")
        exact = round_money(self.amount, self.currency)
        if self.amount <= 0 or exact != self.amount:
            raise InvalidBillingInputError(
                f"{self.kind} {self.id}: {self.amount} is not a positive amount in whole {self.currency} minor units"
            )
        object.__setattr__(self, "amount", exact)  # as the currency writes it: 1.000 or 1E+1 EUR is 1.00 or 10.00
        if (self.due is not None) != (self.kind is EntryKind.INVOICE):
            raise InvalidBillingInputError(f"{self.kind} {self.id}: only an invoice has (and needs) a due date")

    @property
    def signed(self) -> Decimal:
        return self.amount if self.kind in DEBITS else -self.amount


def post(ledger: tuple[LedgerEntry, ...], entry: LedgerEntry) -> tuple[LedgerEntry, ...]:
    """The ledger with ``entry``: unchanged if it is already there, an error if its key is taken."""
    for known in ledger:
        if (known.kind, known.id) == (entry.kind, entry.id):
            if known != entry:
                raise LedgerConflictError(f"{entry.kind} {entry.id} was posted before with other content (first kept)")
            return ledger
    if ledger and ledger[0].currency != entry.currency:
        raise InvalidBillingInputError(
            f"{entry.kind} {entry.id} is in {entry.currency}, the account's ledger in {ledger[0].currency}"
        )
    return (*ledger, entry)


def balance(ledger: Iterable[LedgerEntry]) -> Decimal:
    """What the customer owes: invoices and refunds less payments and credit notes."""
    return sum((entry.signed for entry in ledger), Decimal(0))


def open_invoices(ledger: Iterable[LedgerEntry]) -> dict[str, Decimal]:
    """Each invoice's unpaid amount after allocating every credit to the oldest due invoices first."""
    entries = list(ledger)
    invoices = sorted((e for e in entries if e.kind is EntryKind.INVOICE), key=lambda e: (e.due, e.at, e.id))
    credit = -sum((e.signed for e in entries if e.kind is not EntryKind.INVOICE), Decimal(0))
    remaining: dict[str, Decimal] = {}
    for invoice in invoices:
        paid = min(max(credit, Decimal(0)), invoice.amount)
        credit -= paid
        if invoice.amount - paid:
            remaining[invoice.id] = invoice.amount - paid
    return remaining


def overdue(ledger: Iterable[LedgerEntry], as_of: date, grace_days: int) -> tuple[str, ...]:
    """The invoices still open more than ``grace_days`` after their due date, on local date ``as_of``."""
    entries = list(ledger)
    due = {e.id: e.due for e in entries if e.kind is EntryKind.INVOICE}
    limit = timedelta(days=grace_days)
    return tuple(i for i in open_invoices(entries) if (d := due[i]) is not None and as_of > d + limit)
