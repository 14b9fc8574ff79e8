"""The customer bill (TMF678 ``customerBill``): an issued invoice, its number, its states.

**Issued, never edited.** A bill run issues an invoice from the :class:`InvoiceDraft` that
``assemble_invoice`` computed (the very draft a preview shows): numbered, its lines and totals fixed,
posted to the account's ledger, in state ``validated``. Nothing changes its lines afterwards: usage
or an outage learnt later is billed on the next invoice as an adjustment, and so is the tax of its
lines when an exemption recorded later covers them (or no longer does).

**States** (TMF678 ``stateValue``)::

    validated ──► sent ──► partiallyPaid ──► settled
        │  ▲        │  ▲         │
        ▼  │        ▼  │         ▼
          onHold (a dispute: dunning leaves it alone; released to the state it was held from,
                  or partiallyPaid when part of it is paid)

``partiallyPaid`` and ``settled`` follow the ledger (payments and credit notes allocated to the
oldest due invoices first), in any state; an invoice whose total is zero or a credit is settled
when issued. ``new`` (TMF's draft) is never stored: a draft is a preview, computed, not kept.

**Numbers** are ``INV-<year>-<sequence>``: gapless per year, taken in the transaction that stores
the invoice (see ``bss_bridge.storage.billing_tables``); the year is the bill date's in the
account's zone, the date printed on the invoice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from bss_bridge.domain import billing_events as ev
from bss_bridge.domain.billing.cycles import BillingPeriod
from bss_bridge.domain.billing.invoice import InvoiceDraft
from bss_bridge.domain.billing.lines import InvoiceLine, Totals
from bss_bridge.domain.errors import InvalidTransitionError
from bss_bridge.domain.events import Event

INVOICE_SERIES = "INV"
CREDIT_NOTE_SERIES = "CN"


class BillState(StrEnum):
    NEW = "new"
    ON_HOLD = "onHold"
    VALIDATED = "validated"
    SENT = "sent"
    PARTIALLY_PAID = "partiallyPaid"
    SETTLED = "settled"


B = BillState
# The moves an operator may ask for (payments move to partiallyPaid/settled by themselves).
REQUESTED: dict[B, frozenset[B]] = {
    B.VALIDATED: frozenset({B.SENT, B.ON_HOLD}),
    B.SENT: frozenset({B.ON_HOLD}),
    B.PARTIALLY_PAID: frozenset({B.ON_HOLD}),
    B.ON_HOLD: frozenset(),  # released to where it was held from: see CustomerBill.request
    B.SETTLED: frozenset(),
    B.NEW: frozenset(),
}


def document_number(series: str, year: int, seq: int) -> str:
    return f"{series}-{year}-{seq:06d}"


@dataclass(eq=False)
class CustomerBill:
    """An issued invoice. ``remaining`` is what is still owed on it after the ledger's allocation."""

    id: str
    number: str
    year: int
    seq: int
    account_id: str
    customer_id: str
    currency: str
    time_zone: str
    period: BillingPeriod
    bill_date: datetime
    due_date: date
    lines: tuple[InvoiceLine, ...]
    totals: Totals
    tax_exemption: str | None
    state: BillState
    remaining: Decimal
    run_id: str
    updated_at: datetime
    held_from: BillState | None = None
    events: list[Event] = field(default_factory=list, repr=False)

    @classmethod
    def issue(
        cls,
        draft: InvoiceDraft,
        *,
        bill_id: str,
        seq: int,
        year: int,
        customer_id: str,
        time_zone: str,
        bill_date: datetime,
        payment_terms_days: int,
        run_id: str,
    ) -> CustomerBill:
        owed = draft.totals.total if draft.totals.total > 0 else Decimal(0)
        local_day = bill_date.astimezone(ZoneInfo(time_zone)).date()
        bill = cls(
            bill_id,
            document_number(INVOICE_SERIES, year, seq),
            year,
            seq,
            draft.account_id,
            customer_id,
            draft.currency,
            time_zone,
            draft.period,
            bill_date,
            local_day + timedelta(days=payment_terms_days),
            draft.lines,
            draft.totals,
            draft.tax_exemption,
            BillState.VALIDATED if owed > 0 else BillState.SETTLED,
            owed,
            run_id,
            bill_date,
        )
        bill.events.append(ev.CustomerBillCreated(bill_id))
        return bill

    def _move(self, new: BillState, now: datetime) -> None:
        if new is self.state:
            return
        old, self.state, self.updated_at = self.state, new, now
        self.events.append(ev.CustomerBillStateChanged(self.id, old.value, new.value))

    def request(self, new: BillState, now: datetime) -> None:
        """An operator's move: send, hold (a dispute), or release a held bill (to ``validated`` or
        ``sent``: it goes back to the state it was held from, or on to ``sent``; to
        ``partiallyPaid`` whatever was asked when part of it is paid, held so or paid meanwhile: a
        release never hides a payment)."""
        if new is self.state:
            return
        if self.state is BillState.ON_HOLD and new in (BillState.VALIDATED, BillState.SENT):
            back = self.held_from or BillState.VALIDATED
            self.held_from = None
            if 0 < self.remaining < self.totals.total:
                back = BillState.PARTIALLY_PAID
            elif new is BillState.SENT:
                back = BillState.SENT
            self._move(back, now)
            return
        if new not in REQUESTED[self.state]:
            raise InvalidTransitionError(f"customer bill {self.number} cannot go from {self.state} to {new}")
        if new is BillState.ON_HOLD:
            self.held_from = self.state
        self._move(new, now)

    def allocate(self, remaining: Decimal, now: datetime) -> None:
        """What the ledger says is still owed on it: partially paid or settled follow (and its last
        update, when what is owed changed without a change of state)."""
        if remaining != self.remaining:
            self.updated_at = now
        self.remaining = remaining
        if remaining <= 0:
            self.held_from = None
            self._move(BillState.SETTLED, now)
        elif remaining < self.totals.total and self.state is not BillState.ON_HOLD:
            self._move(BillState.PARTIALLY_PAID, now)

    @property
    def disputed(self) -> bool:
        return self.state is BillState.ON_HOLD
