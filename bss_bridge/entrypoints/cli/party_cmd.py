"""``oss-bss customer`` and ``oss-bss account``."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from bss_bridge.domain import commands
from bss_bridge.domain.errors import InvalidRequestError
from bss_bridge.domain.party import AccountTerms, BillCycle, ContactMedium, MediumType
from bss_bridge.entrypoints.cli.output import FORMAT, STATE, Format, emit_json, exists, opened, run, show_table
from bss_bridge.tmf.party import render_account, render_customer

customers = typer.Typer(help="Customers (TMF629).", no_args_is_help=True)
accounts = typer.Typer(help="Billing accounts (TMF666).", no_args_is_help=True)


PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def decimal(value: str, option: str) -> Decimal:
    """A number as people write it on a command line (``12``, ``-0.5``, ``79.00``), named by its
    option when it is not one: no NaN, infinity, exponent, digit separator or blank, which
    ``Decimal`` would take (``1_0`` is ten) or refuse later without naming the option."""
    if not PLAIN_DECIMAL.fullmatch(value):
        raise InvalidRequestError.one(option, f"{value!r} is not a decimal number (digits, an optional point)")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise InvalidRequestError.one(option, f"{value!r} is not a decimal number") from None


@customers.command("create")
def create_customer(
    name: str,
    email: Annotated[str | None, typer.Option(help="contact e-mail")] = None,
    phone: Annotated[str | None, typer.Option(help="contact phone")] = None,
    fmt: Format = FORMAT,
) -> None:
    """Create a customer."""
    contacts = []
    if email:
        contacts.append(ContactMedium(MediumType.EMAIL, True, email=email))
    if phone:
        contacts.append(ContactMedium(MediumType.PHONE, phone=phone))
    with opened() as bss:
        customer = run(bss, commands.CreateCustomer(name, tuple(contacts)))
    if fmt is Format.JSON:
        emit_json(render_customer(bss.settings.base_url, customer))
    else:
        STATE.out.print(f"customer {customer.id} ({customer.name}) created")


@customers.command("list")
def list_customers(fmt: Format = FORMAT) -> None:
    """Every customer, with its status."""
    with opened() as bss, bss.uow() as uow:
        found, _ = uow.customers.list()
    if fmt is Format.JSON:
        emit_json([render_customer(bss.settings.base_url, c) for c in found])
        return
    show_table(
        "customers",
        ["id", "name", "status", "since"],
        [[c.id, c.name, c.status.value, f"{c.created_at:%Y-%m-%d}"] for c in found],
    )


@accounts.command("open")
def open_account(
    customer: str,
    currency: Annotated[str, typer.Option(help="ISO 4217 code, e.g. EUR")],
    name: Annotated[str, typer.Option(help="the account's name")] = "main",
    bill_cycle_day: Annotated[str, typer.Option(help="1-31 (a day a month lacks falls on its last) or 'last'")] = "1",
    time_zone: Annotated[str, typer.Option(help="IANA time zone its bill periods are cut in")] = "UTC",
    tax_rate: Annotated[str, typer.Option(help="percent")] = "0",
    payment_terms_days: Annotated[int, typer.Option(help="days to pay an invoice")] = 30,
    credit_limit: Annotated[str | None, typer.Option(help="in the account's currency")] = None,
    fmt: Format = FORMAT,
) -> None:
    """Open a billing account for a customer."""
    terms = AccountTerms(
        BillCycle.parse(bill_cycle_day),
        time_zone,
        decimal(tax_rate, "--tax-rate"),
        None,
        payment_terms_days,
        None if credit_limit is None else decimal(credit_limit, "--credit-limit"),
    )
    with opened() as bss:
        account = run(bss, commands.OpenBillingAccount(customer, name, currency, terms))
        with bss.uow() as uow:
            owner = uow.customers.get(customer)
    if fmt is Format.JSON:
        emit_json(render_account(bss.settings.base_url, account, owner.name if owner else customer))
    else:
        STATE.out.print(
            f"billing account {account.id} opened ({account.currency}, bill cycle day {account.terms.bill_cycle})"
        )


@accounts.command("list")
def list_accounts(
    customer: Annotated[str | None, typer.Option(help="only this customer's")] = None, fmt: Format = FORMAT
) -> None:
    """Billing accounts and their terms."""
    with opened() as bss, bss.uow() as uow:
        if customer is not None:
            exists(uow.customers.get(customer), "--customer", "customer", customer)
        found, _ = uow.accounts.list({"customer_id": [customer]} if customer else None)
        names = {c.id: c.name for c in uow.customers.get_many([a.customer_id for a in found]).values()}
    if fmt is Format.JSON:
        emit_json([render_account(bss.settings.base_url, a, names.get(a.customer_id, a.customer_id)) for a in found])
        return
    show_table(
        "billing accounts",
        ["id", "customer", "currency", "cycle day", "time zone", "tax %", "payment", "state"],
        [
            [
                a.id,
                a.customer_id,
                a.currency,
                a.terms.bill_cycle,
                a.terms.time_zone,
                a.terms.tax_rate_pct,
                f"{a.terms.payment_terms_days} days",
                a.state.value,
            ]
            for a in found
        ],
    )
