"""Payments (TMF676), credit notes and the dunning check.

A payment is idempotent on its key (TMF676 ``correlatorId``): the same key with the same request
again returns the payment first recorded and changes nothing; with another request it is refused
(409), the first kept. Concurrent first submissions are settled by the ledger's unique index.
"The same request" is by meaning, not by spelling: amounts compare as numbers (``10`` is ``10.00``)
and instants as instants (``09:00+01:00`` is ``08:00Z``), so a client retrying with its own
formatting is not refused; an amount is stored in the currency's minor units.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bss_bridge.domain import billing_commands as commands
from bss_bridge.domain.billing.bill import CREDIT_NOTE_SERIES, document_number
from bss_bridge.domain.billing.ledger import EntryKind, LedgerEntry
from bss_bridge.domain.billing_events import PaymentRecorded
from bss_bridge.domain.billing_view import billing_cycle
from bss_bridge.domain.errors import BssDomainError, ConflictError, InvalidRequestError, found
from bss_bridge.domain.money import to_decimal
from bss_bridge.service_layer.deps import Deps
from bss_bridge.service_layer.ledger import allocate, dun
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage.billing_repository import hold_accounts, ledger_row, next_number
from bss_bridge.storage.billing_tables import InvoiceRow, LedgerRow


@dataclass(frozen=True)
class LedgerDocument:
    """A payment or credit note as stored, and whether this request created it."""

    row: LedgerRow
    new: bool


def _meaning(request: dict[str, Any]) -> dict[str, Any]:
    """A stored or new request as compared for idempotency: the amount as a number, the payment
    instant as an instant (requests stored before kept them as written)."""
    meant = dict(request)
    with suppress(ArithmeticError):
        meant["amount"] = Decimal(str(request.get("amount")))
    if isinstance(paid := request.get("paidAt"), str):
        meant["paidAt"] = datetime.fromisoformat(paid)
    return meant


def _existing(uow: UnitOfWork, kind: EntryKind, key: str, request: dict[str, Any]) -> LedgerRow | None:
    row = uow.session.scalars(select(LedgerRow).where(LedgerRow.kind == kind.value, LedgerRow.key == key)).first()
    if row is None:
        return None
    stored, meant = _meaning({"currency": row.currency, **(row.details.get("request") or {})}), _meaning(request)
    if meant.get("currency") is None:  # not given (a credit note in the account's currency)
        stored.pop("currency")
        meant.pop("currency", None)
    if stored != meant:
        raise ConflictError(f"{kind} {key!r} was recorded before with other content (the first is kept)")
    uow.session.expunge(row)  # handed out as it is: the rollback ending the read must not expire it
    return row


def _entry(kind: EntryKind, key: str, amount: Decimal, currency: str, at: datetime, field: str) -> LedgerEntry:
    try:
        return LedgerEntry(key, kind, to_decimal(amount), currency, at)
    except BssDomainError as exc:
        raise InvalidRequestError.one(field, str(exc)) from None


async def _post(uow: UnitOfWork, kind: EntryKind, key: str, request: dict[str, Any], make: Any) -> LedgerDocument:
    """Post once per key; a concurrent first post that loses the race returns the winner's."""
    try:
        with uow:
            existing = _existing(uow, kind, key, request)
            if existing is not None:
                return LedgerDocument(existing, False)
            row = make()
            uow.commit()
        return LedgerDocument(row, True)
    except IntegrityError:
        with uow:
            existing = _existing(uow, kind, key, request)
            if existing is None:
                raise
            return LedgerDocument(existing, False)


async def record_payment(cmd: commands.RecordPayment, uow: UnitOfWork, deps: Deps) -> LedgerDocument:
    now = deps.clock()
    if not cmd.key.strip():
        raise InvalidRequestError.one("correlatorId", "a payment needs its idempotency key (the bank's reference)")
    paid_at = cmd.paid_at or now
    if paid_at > now:
        raise InvalidRequestError.one("paymentDate", "a payment is recorded once made, not in the future")
    request = {
        "account": cmd.account_id,
        "amount": f"{cmd.amount:f}",
        "currency": cmd.currency,
        "paidAt": cmd.paid_at.astimezone(UTC).isoformat() if cmd.paid_at else None,
        "method": cmd.method,
    }

    def make() -> LedgerRow:
        hold_accounts(uow.session, [cmd.account_id])  # before the account and its ledger are read
        account = found(uow.accounts.get(cmd.account_id), "billingAccount", cmd.account_id)
        if cmd.currency is not None and cmd.currency != account.currency:
            raise InvalidRequestError.one("totalAmount.unit", f"the account is billed in {account.currency}")
        entry = _entry(EntryKind.PAYMENT, cmd.key, cmd.amount, account.currency, paid_at, "totalAmount.value")
        details = {"request": request, "method": cmd.method, "description": cmd.description}
        row = LedgerRow(**ledger_row(account.id, entry, now, details=details))
        uow.session.add(row)
        uow.session.flush()
        allocate(uow, account.id, now)
        dun(uow, account.id, now, deps.dunning_grace_days, now, suspend=False)  # resumes what it suspended, if paid up
        uow.record(PaymentRecorded(cmd.key))
        return row

    return await _post(uow, EntryKind.PAYMENT, cmd.key, request, make)


async def issue_credit_note(cmd: commands.IssueCreditNote, uow: UnitOfWork, deps: Deps) -> LedgerDocument:
    now = deps.clock()
    if not cmd.key.strip():
        raise InvalidRequestError.one("id", "a credit note needs its idempotency key")
    if not cmd.reason.strip():
        raise InvalidRequestError.one("reason", "a credit note says why (it is printed)")
    request = {"account": cmd.account_id, "amount": f"{cmd.amount:f}", "reason": cmd.reason, "bill": cmd.bill_id}
    if cmd.currency is not None:
        request["currency"] = cmd.currency

    def make() -> LedgerRow:
        hold_accounts(uow.session, [cmd.account_id])  # before the account and its ledger are read
        account = found(uow.accounts.get(cmd.account_id), "billingAccount", cmd.account_id)
        if cmd.currency is not None and cmd.currency != account.currency:
            raise InvalidRequestError.one("amount.unit", f"the account is billed in {account.currency}")
        if cmd.bill_id is not None:
            bill = uow.session.get(InvoiceRow, cmd.bill_id)
            if bill is None or bill.account_id != account.id:
                raise InvalidRequestError.one("bill.id", f"no bill {cmd.bill_id!r} of account {account.id}")
        entry = _entry(EntryKind.CREDIT_NOTE, cmd.key, cmd.amount, account.currency, now, "amount")
        year = billing_cycle(account).local_date(now).year
        number = document_number(CREDIT_NOTE_SERIES, year, next_number(uow.session, CREDIT_NOTE_SERIES, year))
        details = {"request": request, "reason": cmd.reason}
        row = LedgerRow(**ledger_row(account.id, entry, now, number=number, invoice_id=cmd.bill_id, details=details))
        uow.session.add(row)
        uow.session.flush()
        allocate(uow, account.id, now)
        dun(uow, account.id, now, deps.dunning_grace_days, now, suspend=False)
        return row

    return await _post(uow, EntryKind.CREDIT_NOTE, cmd.key, request, make)


async def run_dunning(cmd: commands.RunDunning, uow: UnitOfWork, deps: Deps) -> dict[str, str]:
    """Each account's dunning step at ``as_of`` (default now): what was done, by account."""
    now = deps.clock()
    as_of = cmd.as_of or now
    if as_of > now:
        raise InvalidRequestError.one("asOf", "dunning suspends now for what is overdue by now, not in the future")
    with uow:
        ids = sorted(set(uow.session.scalars(select(LedgerRow.account_id).where(LedgerRow.kind == "invoice"))))
    done: dict[str, str] = {}
    for account_id in ids:  # one transaction per account: one account's failure stops no other
        with uow:
            hold_accounts(uow.session, [account_id])  # a payment at once waits, or is seen
            action = dun(uow, account_id, as_of, deps.dunning_grace_days, now)
            uow.commit()
        if action:
            done[account_id] = action
    return done


HANDLERS = {
    commands.RecordPayment: record_payment,
    commands.IssueCreditNote: issue_credit_note,
    commands.RunDunning: run_dunning,
}
