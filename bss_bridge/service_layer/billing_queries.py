"""Read-side questions about an account's money: its balance, open and overdue bills, payments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from bss_bridge.documents.invoice import Parties
from bss_bridge.domain.billing.ledger import balance as ledger_balance
from bss_bridge.domain.errors import found
from bss_bridge.service_layer.ledger import overdue_bills
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage.billing_repository import ledger_of
from bss_bridge.tmf.common import instant, money


def parties(uow: UnitOfWork, account_id: str) -> Parties:
    account = found(uow.accounts.get(account_id), "billingAccount", account_id)
    customer = uow.customers.get(account.customer_id)
    return Parties(customer.name if customer else account.customer_id, account.name)


def balance(uow: UnitOfWork, account_id: str, now: datetime, grace_days: int) -> dict[str, Any]:
    """What the customer owes now (negative: in credit), each open bill and what is overdue."""
    account = found(uow.accounts.get(account_id), "billingAccount", account_id)
    entries = ledger_of(uow.session, account_id)
    bills = uow.invoices.of_account(account_id)
    currency = account.currency
    return {
        "billingAccount": {"id": account.id, "name": account.name},
        "state": account.state.value,
        "currency": currency,
        "timeZone": account.terms.time_zone,
        "balance": money(ledger_balance(entries) if entries else Decimal(0), currency),
        "openBills": [
            {
                "billNo": b.number,
                "state": b.state.value,
                "paymentDueDate": b.due_date.isoformat(),
                "taxIncludedAmount": money(b.totals.total, currency),
                "remainingAmount": money(b.remaining, currency),
            }
            for b in bills
            if b.remaining > 0
        ],
        "overdue": overdue_bills(uow, account_id, now, grace_days),
        "payments": [
            {"id": e.id, "kind": e.kind.value, "amount": money(e.amount, currency), "date": instant(e.at)}
            for e in entries
            if e.kind.value != "invoice"
        ],
    }
