"""Handlers for customers (TMF629) and billing accounts (TMF666)."""

from __future__ import annotations

from dataclasses import replace

from bss_bridge.domain import commands
from bss_bridge.domain.catalog import check_id
from bss_bridge.domain.errors import ConflictError, InvalidRequestError, found
from bss_bridge.domain.party import AccountState, BillingAccount, Customer, CustomerStatus
from bss_bridge.domain.subscription import FINAL
from bss_bridge.service_layer.deps import Deps
from bss_bridge.service_layer.unit_of_work import UnitOfWork, judged_again
from bss_bridge.storage.billing_repository import hold_accounts, last_cycles
from bss_bridge.storage.holds import hold_customer

SHOWN = 5  # products a refused close names, the rest counted


async def create_customer(cmd: commands.CreateCustomer, uow: UnitOfWork, deps: Deps) -> Customer:
    customer_id = check_id(cmd.customer_id) if cmd.customer_id else deps.new_id()

    def attempt() -> Customer:
        with uow:
            if uow.customers.get(customer_id) is not None:
                raise ConflictError(f"customer {customer_id} already exists")
            customer = Customer.create(customer_id, cmd.name, deps.clock(), cmd.contacts, cmd.engaged_party)
            uow.customers.add(customer)
            uow.commit()
        return customer

    return judged_again(attempt)  # the same id created at once: the later ones refused as already existing


def _refuse_close(uow: UnitOfWork, what: str, *, customer_id: str | None = None, account_id: str | None = None) -> None:
    """Refuse to close ``what`` while it has products not ended: named, with the orders still
    placing or changing them (an order placed just before the close is why, most often)."""
    filters = {"customer_id": [customer_id]} if customer_id else {"billing_account_id": [account_id]}
    subscriptions, _ = uow.subscriptions.list(filters)
    live = [s for s in subscriptions if s.status not in FINAL]
    if not live:
        return
    products = ", ".join(s.id for s in live[:SHOWN]) + (f" and {len(live) - SHOWN} more" if len(live) > SHOWN else "")
    orders = sorted({s.locked_by for s in live if s.locked_by})
    by_orders = f", placed or changed by open order {', '.join(orders)}" if orders else ""
    raise ConflictError(f"{what} still has products ({products}){by_orders}: terminate them before closing it")


async def update_customer(cmd: commands.UpdateCustomer, uow: UnitOfWork, deps: Deps) -> Customer:
    now = deps.clock()
    with uow:
        hold_customer(uow.session, cmd.customer_id)  # an order for it at once waits, or is seen
        customer = found(uow.customers.get(cmd.customer_id), "customer", cmd.customer_id)
        customer.update(now, name=cmd.name, contacts=cmd.contacts)
        if cmd.status is not None:
            try:
                status = CustomerStatus(cmd.status)
            except ValueError:
                raise InvalidRequestError.one(
                    "status", f"one of {', '.join(s.value for s in CustomerStatus)}"
                ) from None
            if status is CustomerStatus.CLOSED:
                _refuse_close(uow, f"customer {customer.id}", customer_id=customer.id)
            customer.change_status(status, now, cmd.status_reason)
        uow.commit()
    return customer


async def open_account(cmd: commands.OpenBillingAccount, uow: UnitOfWork, deps: Deps) -> BillingAccount:
    account_id = check_id(cmd.account_id) if cmd.account_id else deps.new_id()

    def attempt() -> BillingAccount:
        with uow:
            customer = uow.customers.get(cmd.customer_id)
            if customer is None:
                raise InvalidRequestError.one("relatedParty", f"no customer {cmd.customer_id!r}")
            if uow.accounts.get(account_id) is not None:
                raise ConflictError(f"billing account {account_id} already exists")
            account = BillingAccount.open(account_id, customer, cmd.name, cmd.currency, cmd.terms, deps.clock())
            uow.accounts.add(account)
            uow.commit()
        return account

    return judged_again(attempt)  # the same id opened at once: the later ones refused as already existing


async def update_account(cmd: commands.UpdateBillingAccount, uow: UnitOfWork, deps: Deps) -> BillingAccount:
    now = deps.clock()
    with uow:
        hold_accounts(uow.session, [cmd.account_id])  # an order or dunning at once waits, or is seen
        account = found(uow.accounts.get(cmd.account_id), "billingAccount", cmd.account_id)
        unknown = set(cmd.terms) - set(account.terms.__dataclass_fields__)
        if unknown:
            raise InvalidRequestError.one(sorted(unknown)[0], "is not a term of a billing account")
        last = last_cycles(uow.session, [account.id]).get(account.id)
        account.update(
            now,
            name=cmd.name,
            terms=replace(account.terms, **cmd.terms) if cmd.terms else None,  # type: ignore[arg-type]
            billed_through=None if last is None else last.end,
        )
        if cmd.state is not None:
            try:
                state = AccountState(cmd.state)
            except ValueError:
                raise InvalidRequestError.one("state", f"one of {', '.join(s.value for s in AccountState)}") from None
            if state is AccountState.CLOSED:
                _refuse_close(uow, f"billing account {account.id}", account_id=account.id)
            account.change_state(state, now)
        uow.commit()
    return account


HANDLERS = {
    commands.CreateCustomer: create_customer,
    commands.UpdateCustomer: update_customer,
    commands.OpenBillingAccount: open_account,
    commands.UpdateBillingAccount: update_account,
}
