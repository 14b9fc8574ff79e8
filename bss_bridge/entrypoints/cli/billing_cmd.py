"""``oss-bss bill|invoice|payment|balance|dunning|usage``: billing from the command line, through
the same bus as the API. Dates are shown in the account's zone."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from bss_bridge.documents.invoice import invoice_csv, invoice_pdf
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.errors import InvalidRequestError, NotFoundError
from bss_bridge.domain.money import round_money
from bss_bridge.entrypoints.cli.output import (
    FORMAT,
    STATE,
    Format,
    emit_json,
    exists,
    instant,
    local,
    opened,
    run,
    show_table,
)
from bss_bridge.entrypoints.cli.party_cmd import decimal
from bss_bridge.service_layer.billing_queries import balance, parties
from bss_bridge.storage.billing_tables import InvoiceRow
from bss_bridge.tmf.billing_inputs import addressable

bills = typer.Typer(help="Bill runs (and their preview).", no_args_is_help=True)
invoices = typer.Typer(help="Issued invoices (TMF678 customer bills).", no_args_is_help=True)
payments = typer.Typer(help="Payments and credit notes (TMF676).", no_args_is_help=True)
dunning = typer.Typer(help="Suspend accounts with overdue invoices; resume paid-up ones.", no_args_is_help=True)
usage = typer.Typer(help="Usage records (TMF635): rating and guiding.", no_args_is_help=True)
AT = typer.Option("--at", help="the instant, with its offset (default: now)")


def _amount(text: str) -> Decimal:
    return decimal(text, "amount")


@bills.command("run")
def bill_run(
    at: Annotated[str | None, AT] = None,
    account: Annotated[list[str] | None, typer.Option("--account", help="only these accounts")] = None,
    preview: Annotated[bool, typer.Option("--preview", help="compute the invoices, store nothing")] = False,
    fmt: Format = FORMAT,
) -> None:
    """Bill every period due by --at (each account and period once; repeating changes nothing)."""
    with opened() as bss:
        command = bc.RunBilling(instant(at, "--at"), tuple(account) if account else None, preview)
        report = run(bss, command, {"asOf": "--at", "billingAccount.id": "--account"})
    rows = [
        (
            b.account_id,
            str(b.period) if fmt is Format.JSON else b.period.shown,  # a table is read by a person
            b.number or ("preview" if preview and b.draft else ""),
            "" if b.draft is None else f"{b.draft.totals.total:f} {b.draft.currency}",
            b.error or "",
        )
        for b in report.bills
    ]
    if fmt is Format.JSON:
        emit_json(
            {
                "run": report.run_id,
                "preview": preview,
                "ratedRecords": report.rated_records,
                "bills": [dict(zip(("account", "period", "billNo", "total", "error"), r, strict=True)) for r in rows],
                "lines": {
                    f"{b.account_id} {b.period}": [
                        {"description": line.description, "amount": line.amount, "tax": line.tax}
                        for line in b.draft.lines
                    ]
                    for b in report.bills
                    if b.draft is not None
                },
                "unbilledUsage": report.unbilled_usage,
            }
        )
        return
    show_table(
        f"bill run{' (preview)' if preview else ''}: {len(report.issued)} issued",
        ("account", "period", "bill", "total", "error"),
        rows,
    )
    if preview:
        for b in report.bills:
            for line in b.draft.lines if b.draft else ():
                STATE.out.print(f"  {b.account_id}  {line.description}: {line.amount:f} + tax {line.tax:f}")


def _bill_id(number: str) -> str:
    return number  # an invoice's id is its number


@invoices.command("list")
def invoice_list(account: Annotated[str | None, typer.Option("--account")] = None, fmt: Format = FORMAT) -> None:
    """Issued invoices, oldest first."""
    with opened() as bss, bss.uow() as uow:
        if account is not None:
            exists(uow.accounts.get(account), "--account", "billing account", account)
        conditions = [] if account is None else [InvoiceRow.account_id == account]
        found, _ = uow.invoices.list(conditions)
    rows = [
        (
            b.number,
            b.account_id,
            str(b.period) if fmt is Format.JSON else b.period.shown,
            local(b.bill_date, b.time_zone),
            b.due_date.isoformat(),
            b.state.value,
            f"{b.totals.total:f} {b.currency}",
            f"{round_money(b.remaining, b.currency):f}",
        )
        for b in found
    ]
    if fmt is Format.JSON:
        emit_json(
            [
                dict(
                    zip(
                        ("billNo", "account", "period", "billDate", "due", "state", "total", "remaining"),
                        r,
                        strict=True,
                    )
                )
                for r in rows
            ]
        )
        return
    show_table("invoices", ("bill", "account", "period", "bill date", "due", "state", "total", "owed"), rows)


@invoices.command("show")
def invoice_show(number: str, fmt: Format = FORMAT) -> None:
    """An invoice's lines and totals."""
    with opened() as bss, bss.uow() as uow:
        bill = uow.invoices.get(_bill_id(number))
    if bill is None:
        raise NotFoundError("customerBill", number)
    if fmt is Format.JSON:
        emit_json(
            {
                "billNo": bill.number,
                "state": bill.state.value,
                "total": bill.totals.total,
                "remaining": bill.remaining,
                "lines": [{"description": x.description, "amount": x.amount, "tax": x.tax} for x in bill.lines],
            }
        )
        return
    show_table(
        f"{bill.number} ({bill.state.value}), {bill.period.shown}, {bill.time_zone}",
        ("line", "net", "tax"),
        [(x.description, f"{x.amount:f}", f"{x.tax:f}") for x in bill.lines]
        + [
            ("total", f"{bill.totals.subtotal:f}", f"{bill.totals.tax:f}"),
            (f"invoiced ({bill.currency})", f"{bill.totals.total:f}", ""),
            (f"still owed ({bill.currency})", f"{round_money(bill.remaining, bill.currency):f}", ""),
        ],
    )


@invoices.command("pdf")
def invoice_document(
    number: str,
    output: Annotated[Path, typer.Option("--output", "-o", help="where to write it")],
    csv: Annotated[bool, typer.Option("--csv", help="its lines as CSV instead")] = False,
) -> None:
    """Write an invoice as PDF (or its lines as CSV)."""
    with opened() as bss, bss.uow() as uow:
        bill = uow.invoices.get(_bill_id(number))
        if bill is None:
            raise NotFoundError("customerBill", number)
        who = parties(uow, bill.account_id)
    try:
        if csv:
            output.write_text(invoice_csv([bill]))
        else:
            output.write_bytes(invoice_pdf(bill, who))
    except OSError as exc:  # a directory missing, no permission: said as such, not "unexpected"
        raise InvalidRequestError.one("--output", f"cannot write {output}: {exc.strerror or exc}") from None
    STATE.out.print(f"{bill.number} -> {output}")


@payments.command("add")
def payment_add(
    account: str,
    amount: str,
    key: Annotated[str, typer.Option("--key", help="its idempotency key (bank reference): a retry counts once")],
    currency: Annotated[str | None, typer.Option("--currency", help="default: the account's")] = None,
    method: Annotated[str, typer.Option("--method")] = "",
    at: Annotated[str | None, AT] = None,
) -> None:
    """Record a payment received on the account."""
    addressable(key, "--key")  # the payment's id, as the API's correlatorId: one path segment of its href
    with opened() as bss:
        payment = bc.RecordPayment(key, account, _amount(amount), currency, instant(at, "--at"), method)
        done = run(bss, payment, {"paymentDate": "--at", "correlatorId": "--key", "totalAmount.unit": "--currency"})
    STATE.out.print(f"payment {key}: {'recorded' if done.new else 'already recorded (counted once)'}")


CREDIT_NOTE_OPTIONS = {"id": "--key", "reason": "--reason", "bill.id": "--bill"}


@payments.command("credit-note")
def credit_note(
    account: str,
    amount: str,
    reason: Annotated[str, typer.Option("--reason")],
    key: Annotated[str, typer.Option("--key")],
    bill: Annotated[str | None, typer.Option("--bill")] = None,
) -> None:
    """Issue a credit note (numbered CN-<year>-<n>)."""
    with opened() as bss:
        done = run(bss, bc.IssueCreditNote(key, account, _amount(amount), reason, bill), CREDIT_NOTE_OPTIONS)
    again = "" if done.new else " (already issued: counted once)"
    STATE.out.print(f"credit note {done.row.number}: {done.row.amount:f} {done.row.currency}{again}")


def show_balance(account: str, fmt: Format = FORMAT) -> None:
    """What the account owes (or holds in credit), its open and overdue invoices."""
    with opened() as bss, bss.uow() as uow:
        found = balance(uow, account, bss.deps.clock(), bss.settings.dunning_grace_days)
    if fmt is Format.JSON:
        emit_json(found)
        return
    money = found["balance"]
    owes = money["value"]
    said = f"owes {owes:f}" if owes >= 0 else f"in credit {-owes:f}"  # overpaid: not "owes -19.42"
    STATE.out.print(f"{account} ({found['state']}): {said} {money['unit']}")
    show_table(
        "open invoices",
        ("bill", "state", "due", "owed"),
        [
            (b["billNo"], b["state"], b["paymentDueDate"], f"{b['remainingAmount']['value']:f}")
            for b in found["openBills"]
        ],
    )
    if found["overdue"]:
        STATE.out.print(f"overdue: {', '.join(found['overdue'])}")


@dunning.command("run")
def dunning_run(at: Annotated[str | None, AT] = None) -> None:
    """The dunning check (also scheduled in 'oss-bss run')."""
    with opened() as bss:
        done = run(bss, bc.RunDunning(instant(at, "--at")), {"asOf": "--at"})
    for account, action in done.items():
        STATE.out.print(f"{account}: {action}")
    if not done:
        STATE.out.print("nothing to do")


@usage.command("rate")
def usage_rate() -> None:
    """Count the usage received since the last pass into its groups (also scheduled)."""
    with opened() as bss:
        records, groups = run(bss, bc.RateUsage())
    STATE.out.print(f"rated {records} record(s) into {groups} group(s)")


@usage.command("guide")
def usage_guide() -> None:
    """Try again to attribute the usage kept as received."""
    with opened() as bss:
        STATE.out.print(f"guided {run(bss, bc.GuideUsage())} record(s)")
