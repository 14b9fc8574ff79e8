"""A BSS with subscriptions activated at chosen instants, usage to import, and bill runs: what the
billing tests of the service layer, the API and the CLI share."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.billing.metering import UsageKind, UsageSubmission
from bss_bridge.domain.party import AccountTerms, BillCycle
from bss_bridge.domain.pricing import PerUnitUsage, RecurringCharge
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.domain.window import Window

D = Decimal
GB = 10**9


def run(bss: Bss, command: commands.Command) -> Any:
    return asyncio.run(bss.handle(command))


def account(bss: Bss, zone: str = "Europe/Paris", day: int | None = 1, tax: str = "20", name: str = "ACME") -> str:
    customer = run(bss, commands.CreateCustomer(name))
    terms = AccountTerms(BillCycle(day), zone, D(tax), payment_terms_days=30)
    return str(run(bss, commands.OpenBillingAccount(customer.id, "main", "EUR", terms)).id)


def subscribe(bss: Bss, account_id: str, at: datetime, offering: str = "bia-100", **chars: Any) -> str:
    """A subscription of ``offering`` on the account, ordered an hour before ``at`` and active from
    ``at`` (the test clock is set to the order's time)."""
    set_clock(bss, at - timedelta(hours=1))
    with bss.uow() as uow:
        customer_id = uow.accounts.get(account_id).customer_id  # type: ignore[union-attr]
    values = {"site": "customer1"} if offering.startswith("bia") else chars
    if offering == "transit-burst-100":
        values = {"accessDevice": "pe1", "customerAsn": 65001, **chars}
    item = ItemRequest("1", "add", offering, characteristics=tuple(values.items()))
    placed, _ = run(bss, commands.SubmitProductOrder(OrderRequest(customer_id, account_id, (item,))))
    run(bss, commands.StartProductOrder(placed.id))
    done = run(bss, commands.CompleteOrderItem(placed.id, "1", at))
    return str(done.items[0].subscription_id)


def set_clock(bss: Bss, moment: datetime, tick: timedelta | None = None) -> None:
    """The tests' clock at ``moment``; with ``tick``, moving on by it after each reading from now on."""
    bss.deps.clock.now = moment  # type: ignore[attr-defined]  # the tests' Clock
    if tick is not None:
        bss.deps.clock.tick = tick  # type: ignore[attr-defined]


def volume(usage_id: str, product: str, at: datetime, gb_in: int, gb_out: int = 0) -> UsageSubmission:
    return UsageSubmission(usage_id, UsageKind.VOLUME, product, at, at + timedelta(hours=1), gb_in * GB, gb_out * GB)


def rate(usage_id: str, product: str, at: datetime, mbps_in: str, mbps_out: str = "0") -> UsageSubmission:
    return UsageSubmission(usage_id, UsageKind.RATE, product, at, None, None, None, D(mbps_in), D(mbps_out))


def bill(bss: Bss, at: datetime, *accounts: str, preview: bool = False) -> Any:
    """A bill run (or preview) at ``at``, the clock set there."""
    set_clock(bss, at)
    return run(bss, bc.RunBilling(at, accounts or None, preview))


METERED = "bia-1000-metered"


def metered_offering(bss: Bss) -> str:
    """``bia-1000-metered`` (unless defined already): bia-1000's speed, its usage priced otherwise
    than bia-100's, under another name ("data") and unit (TB, 20.00 each)."""
    with bss.uow() as uow:
        known = uow.offerings.get(METERED) is not None
    if not known:
        prices = (
            commands.PriceDefinition("monthly", "EUR", RecurringCharge(D("249.00"))),
            commands.PriceDefinition("data", "EUR", PerUnitUsage("TB", D("20.00"))),
        )
        run(bss, commands.DefineOffering(METERED, "Business Internet 1000 metered", "business-internet",
                                         valid_for=Window(utc(2026, 1, 1)), fixed={"bandwidthMbps": 1000},
                                         prices=prices))
    return METERED


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def terminate(bss: Bss, account_id: str, subscription_id: str, at: Any) -> None:
    set_clock(bss, at)
    with bss.uow() as uow:
        customer_id = uow.accounts.get(account_id).customer_id  # type: ignore[union-attr]
    item = ItemRequest("1", "delete", None, subscription_id)
    placed, _ = run(bss, commands.SubmitProductOrder(OrderRequest(customer_id, account_id, (item,))))
    run(bss, commands.StartProductOrder(placed.id))
    run(bss, commands.CompleteOrderItem(placed.id, "1", at))


def world(bss: Bss) -> dict[str, str]:
    """Two customers from February 2026 (Europe/Paris accounts), Globex's product terminated on 16
    March, usage in March, and the bill run of 1 April 2026."""
    acme, globex = account(bss), account(bss, name="Globex")
    first = subscribe(bss, acme, utc(2026, 2, 10, 10))
    second = subscribe(bss, globex, utc(2026, 2, 20, 9))
    terminate(bss, globex, second, utc(2026, 3, 16, 12))
    run(bss, bc.ImportUsage((volume("u1", first, utc(2026, 3, 3, 10), 700, 555),)))
    bill(bss, utc(2026, 4, 1, 8))
    return {"acme": acme, "globex": globex, "first": first, "second": second}


def charged(reports: list[Any], account_id: str) -> tuple[Decimal, dict[date, tuple[Decimal, Decimal]]]:
    """The account's total over the runs (each invoice's lines summing to its total), and per month
    of coverage the net amount and tax."""
    total, months = D(0), defaultdict(lambda: (D(0), D(0)))
    for report in reports:
        assert not report.failed, report.failed
        for b in report.bills:
            if b.account_id == account_id and b.draft is not None:
                assert b.draft.totals.total == sum((x.amount + x.tax for x in b.draft.lines), D(0))
                total += b.draft.totals.total
                for line in b.draft.lines:
                    month = line.coverage.start.replace(day=1)
                    amount, tax = months[month]
                    months[month] = (amount + line.amount, tax + line.tax)
    return total, {m: v for m, v in months.items() if v != (D(0), D(0))}
