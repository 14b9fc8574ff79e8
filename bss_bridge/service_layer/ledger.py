"""The account ledger at work: allocation of payments and credits to bills, and dunning.

**Dunning.** An invoice still open ``dunning_grace_days`` after its due date (in the account's
zone), and not on hold (disputed), suspends the account (TMF666 state ``suspended``) and every
active subscription on it (TMF637 status ``suspended``, published on the TMF637 hub: the bridge
carries it to the network). Each suspension is recorded with its reason. Once nothing is overdue
(a payment, a credit note, a bill put on hold), the subscriptions dunning suspended, and only those,
are resumed, and the account with them.

**Suspended subscriptions are billed as usual**: recurring charges continue (the contract runs;
the suspension is the customer's doing), usage is billed as measured, and the suspended time is
excused from the SLA's measured time (neither available nor down).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bss_bridge.domain.billing.bill import BillState
from bss_bridge.domain.billing.ledger import EntryKind, open_invoices, overdue
from bss_bridge.domain.billing_view import billing_cycle
from bss_bridge.domain.party import AccountState
from bss_bridge.domain.subscription import SubscriptionStatus
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.storage.billing_repository import ledger_of
from bss_bridge.storage.billing_tables import LedgerRow, SuspensionRow
from bss_bridge.storage.usage_store import chunks

DUNNING = "dunning"


def credited_accounts(session: Session, account_ids: Sequence[str]) -> list[str]:
    """The accounts that have payments or credit notes (the others have nothing to allocate)."""
    found: set[str] = set()
    for part in chunks(list(account_ids)):
        query = (
            select(LedgerRow.account_id)
            .where(LedgerRow.account_id.in_(part), LedgerRow.kind != EntryKind.INVOICE.value)
            .distinct()
        )
        found.update(session.scalars(query))
    return sorted(found)


def allocate(uow: UnitOfWork, account_id: str, now: datetime) -> dict[str, Decimal]:
    """Allocate the account's credits to its bills (oldest due first); each bill's state follows."""
    remaining = open_invoices(ledger_of(uow.session, account_id))
    for bill in uow.invoices.of_account(account_id):
        if bill.state is not BillState.SETTLED:
            bill.allocate(remaining.get(bill.id, Decimal(0)), now)
    return remaining


def overdue_bills(uow: UnitOfWork, account_id: str, as_of: datetime, grace_days: int) -> list[str]:
    """The numbers of the account's bills overdue at ``as_of``, disputed ones left out."""
    account = uow.accounts.get(account_id)
    if account is None:
        return []
    late = set(overdue(ledger_of(uow.session, account_id), billing_cycle(account).local_date(as_of), grace_days))
    bills = uow.invoices.get_many(sorted(late))
    return sorted(b.number for b in bills.values() if not b.disputed)


def _open_dunning(uow: UnitOfWork, subscription_ids: list[str]) -> list[SuspensionRow]:
    if not subscription_ids:
        return []
    query = select(SuspensionRow).where(
        SuspensionRow.subscription_id.in_(subscription_ids),
        SuspensionRow.end.is_(None),
        SuspensionRow.reason == DUNNING,
    )
    return list(uow.session.scalars(query))


def dun(
    uow: UnitOfWork, account_id: str, as_of: datetime, grace_days: int, now: datetime, *, suspend: bool = True
) -> str | None:
    """Suspend or resume the account by what is overdue at ``as_of``; what it did, if anything.
    Without ``suspend`` it only resumes: a payment or credit note resumes what dunning suspended
    once nothing is overdue, and suspends nothing itself (that is the dunning run's, on its
    schedule; a partial payment used to suspend an account no run had suspended yet)."""
    account = uow.accounts.get(account_id)
    if account is None or account.state is AccountState.CLOSED:
        return None
    late = overdue_bills(uow, account_id, as_of, grace_days)
    subscriptions, _ = uow.subscriptions.list({"billing_account_id": [account_id]})
    dunned = _open_dunning(uow, [s.id for s in subscriptions])
    if late and account.state is AccountState.ACTIVE:
        if not suspend:
            return None
        suspended = []
        for sub in subscriptions:
            if sub.status is SubscriptionStatus.ACTIVE:
                uow.session.add(SuspensionRow(subscription_id=sub.id, start=now, end=None, reason=DUNNING))
                sub.suspend(now)
                suspended.append(sub.id)
        account.change_state(AccountState.SUSPENDED, now)
        return f"suspended {len(suspended)} product(s): {', '.join(late)} overdue"
    if not late and account.state is AccountState.SUSPENDED and dunned:
        ids = {row.subscription_id for row in dunned}
        for sub in subscriptions:
            if sub.id in ids and sub.status is SubscriptionStatus.SUSPENDED:
                sub.resume(now)
        uow.session.execute(update(SuspensionRow).where(SuspensionRow.id.in_([r.id for r in dunned])).values(end=now))
        account.change_state(AccountState.ACTIVE, now)
        return f"resumed {len(ids)} product(s): nothing overdue"
    return None
