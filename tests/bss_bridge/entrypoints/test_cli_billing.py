"""Billing from ``oss-bss``: a bill run's preview and the run agree, invoices are listed, shown and
written as PDF and CSV, an unpaid invoice suspends the account once its grace has passed, a payment
(retried) counts once and resumes it, the balance follows.

The CLI reads the system clock (as an operator's does); time-machine sets it, so the dates and
amounts are the same whatever day the test runs, and the weeks to the due date pass at once."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import time_machine

from ..conftest import CATALOG
from .test_cli import bss_cli  # noqa: F401 - the fixture

ORDERED = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Paris
DUE = "2026-04-09"  # issued 10 March, 30 days to pay


def test_bill_run_invoices_dunning_payment_and_balance_from_the_cli(bss_cli: Any, tmp_path: Path) -> None:  # noqa: F811
    with time_machine.travel(ORDERED, tick=False) as clock:
        assert bss_cli("db", "upgrade")[0] == 0
        assert bss_cli("catalog", "load", str(CATALOG))[0] == 0
        customer = json.loads(bss_cli("customer", "create", "ACME Ltd", "-f", "json")[1])["id"]
        opened = ("account", "open", customer, "--currency", "EUR", "--tax-rate", "20", "--time-zone", "Europe/Paris")
        account = json.loads(bss_cli(*opened, "-f", "json")[1])["id"]
        order = json.loads(bss_cli("order", "add", "--account", account, "bia-100:site=customer1", "-f", "json")[1])
        assert bss_cli("order", "start", order["id"])[0] == 0
        assert bss_cli("order", "complete", order["id"], "1")[0] == 0  # active from now: 10 March
        status, out, err = bss_cli("bill", "run", "--preview", "-f", "json")
        assert status == 0, err
        preview = json.loads(out)
        status, out, _ = bss_cli("bill", "run", "-f", "json")
        issued = json.loads(out)
        # March in advance: setup 150 + 20 % VAT, 22 of 31 days of 79 at the launch promotion's half price
        assert [(b["period"], b["billNo"], b["total"]) for b in issued["bills"]] == [
            ("2026-03-01..2026-04-01", "INV-2026-000001", "213.64 EUR")
        ]
        assert [b["total"] for b in preview["bills"]] == ["213.64 EUR"] and preview["lines"] == issued["lines"]
        assert json.loads(bss_cli("bill", "run", "-f", "json")[1])["bills"] == []  # nothing new
        (listed,) = json.loads(bss_cli("invoice", "list", "-f", "json")[1])
        assert (listed["billNo"], listed["state"]) == ("INV-2026-000001", "validated")
        shown = bss_cli("invoice", "show", "INV-2026-000001")[1]
        assert re.search(r"invoiced \(EUR\) +│ 213\.64", shown) and re.search(r"still owed \(EUR\) +│ 213\.64", shown)
        assert "INV-2026-000001 (validated), 2026-03-01 \u2013 2026-03-31, Europe/Paris" in shown  # the days it covers
        assert "2026-03-01 \u2013 2026-03-31" in bss_cli("invoice", "list")[1]  # JSON keeps the half-open period
        assert bss_cli("invoice", "pdf", "INV-2026-000001", "-o", str(tmp_path / "i.pdf"))[0] == 0
        assert (tmp_path / "i.pdf").read_bytes().startswith(b"%PDF-")
        assert bss_cli("invoice", "pdf", "INV-2026-000001", "--csv", "-o", str(tmp_path / "i.csv"))[0] == 0
        assert "INV-2026-000001" in (tmp_path / "i.csv").read_text()
        balance = json.loads(bss_cli("balance", account, "-f", "json")[1])
        assert [(b["billNo"], b["paymentDueDate"][:10]) for b in balance["openBills"]] == [("INV-2026-000001", DUE)]

        clock.move_to(datetime(2026, 4, 23, 20, tzinfo=UTC))  # 22:00 on 23 April in Paris: due + 14 days of grace
        assert bss_cli("dunning", "run")[1].strip() == "nothing to do"
        clock.move_to(datetime(2026, 4, 23, 22, 30, tzinfo=UTC))  # 00:30 on 24 April in Paris: past the grace
        assert bss_cli("dunning", "run")[1].strip() == f"{account}: suspended 1 product(s): INV-2026-000001 overdue"
        assert json.loads(bss_cli("balance", account, "-f", "json")[1])["overdue"] == ["INV-2026-000001"]

        for unaddressable in ("bank/1", ".."):  # the key is the payment's id: one path segment of its href
            status, _, err = bss_cli("payment", "add", account, "213.64", "--key", unaddressable)
            assert status == 1 and "--key" in err, err
        assert "recorded" in bss_cli("payment", "add", account, "213.64", "--key", "bank-1")[1]
        assert "counted once" in bss_cli("payment", "add", account, "213.64", "--key", "bank-1")[1]
        status, _, err = bss_cli("payment", "add", account, "1.00", "--key", "bank-1")
        assert status == 1 and "bank-1" in err
        balance = json.loads(bss_cli("balance", account, "-f", "json")[1])
        assert balance["balance"]["value"] == 0 and balance["openBills"] == [] and balance["state"] == "active"
        shown = bss_cli("invoice", "show", "INV-2026-000001")[1]  # paid: the total stays, nothing is owed
        assert re.search(r"invoiced \(EUR\) +│ 213\.64", shown) and re.search(r"still owed \(EUR\) +│ 0\.00", shown)
        assert json.loads(bss_cli("invoice", "show", "INV-2026-000001", "-f", "json")[1])["remaining"] == 0
        assert bss_cli("dunning", "run")[1].strip() == "nothing to do"
        assert "rated 0 record(s)" in bss_cli("usage", "rate")[1]


def test_the_cli_prints_data_as_it_is_and_names_bad_options(bss_cli: Any, tmp_path: Path) -> None:  # noqa: F811
    """A customer named with Rich markup used to be stored and then break every listing of it
    ("[/b]": MarkupError) or be shown altered ("[bold]"); "1_0" was taken as 10 and "NaN" blamed
    on no option; an unwritable --output was an "unexpected" error."""
    with time_machine.travel(ORDERED, tick=False):
        assert bss_cli("db", "upgrade")[0] == 0
        names = ("Smith [/b] & Sons", "[bold red]Loud[/bold red] GmbH")
        ids = [json.loads(bss_cli("customer", "create", name, "-f", "json")[1])["id"] for name in names]
        status, out, err = bss_cli("customer", "list")
        assert status == 0, err
        assert all(name in out for name in names)
        status, out, _ = bss_cli("customer", "create", "Plain [red]x[/red]")
        assert status == 0 and "(Plain [red]x[/red]) created" in out
        opened = ("account", "open", ids[0], "--currency", "EUR", "--time-zone", "Europe/Paris", "-f", "json")
        for value in ("NaN", "1_0", " 5", "1e1"):
            status, _, err = bss_cli(*opened, "--tax-rate", value)
            assert status == 1 and "--tax-rate" in err and "not a decimal number" in err, (value, err)
        account = json.loads(bss_cli(*opened, "--tax-rate", "20")[1])["id"]
        for value in ("1_0", "1e1", "Infinity"):
            status, _, err = bss_cli("payment", "add", account, value, "--key", "bank-x")
            assert status == 1 and "amount" in err, (value, err)
        status, _, err = bss_cli("payment", "add", account, "10.00", "--key", "")
        assert status == 1 and "--key: " in err and "correlatorId" not in err and "amount" not in err
        assert "bank-x" not in bss_cli("balance", account)[1]  # nothing was recorded
        assert "CN-2026-000001: 5.00 EUR" in bss_cli(
            "payment", "credit-note", account, "5", "--reason", "goodwill", "--key", "g1"
        )[1]
        again = bss_cli("payment", "credit-note", account, "5.00", "--reason", "goodwill", "--key", "g1")[1]
        assert "CN-2026-000001" in again and "counted once" in again
        assert f"{account} (active): in credit 5.00 EUR" in bss_cli("balance", account)[1]  # not "owes -5.00"
        dollars = json.loads(bss_cli(*opened[:3], "--currency", "USD", *opened[5:], "--tax-rate", "0")[1])["id"]
        assert "recorded" in bss_cli("payment", "add", dollars, "1.00", "--key", "k-1")[1]  # in its USD, not EUR
        assert json.loads(bss_cli("balance", dollars, "-f", "json")[1])["balance"] == {"unit": "USD", "value": -1}
        status, _, err = bss_cli("payment", "add", dollars, "1.00", "--key", "k-2", "--currency", "EUR")
        assert status == 1 and "--currency: " in err and "totalAmount" not in err and "USD" in err

        assert bss_cli("catalog", "load", str(CATALOG))[0] == 0
        order = json.loads(bss_cli("order", "add", "--account", account, "bia-100:site=customer1", "-f", "json")[1])
        assert bss_cli("order", "start", order["id"])[0] == 0
        assert bss_cli("order", "complete", order["id"], "1")[0] == 0
        assert bss_cli("bill", "run")[0] == 0
        status, out, err = bss_cli("invoice", "pdf", "INV-2026-000001", "-o", str(tmp_path / "no" / "such" / "i.pdf"))
        assert status == 1 and "--output" in err and "unexpected" not in err

        # what the handlers name by the API's field is named by the option that gave it (asOf was --at)
        later, credit = "2027-03-10T09:00:00Z", ("payment", "credit-note", account, "1", "--reason", "x", "--key", "g2")
        refused = {
            ("bill", "run", "--at", later): "--at: a bill run bills periods begun by then: at most 32 days ahead",
            ("bill", "run", "--preview", "--at", "2027-06-01T00:00:00Z"): "--at: a preview bills every period begun",
            ("bill", "run", "--account", "nope"): "--account: no billing account 'nope'",
            ("dunning", "run", "--at", later): "--at: dunning suspends now for what is overdue by now",
            ("payment", "add", account, "1.00", "--key", "k-3", "--at", later): "--at: a payment is recorded once made",
            (*credit, "--bill", "nope"): "--bill: no bill",
        }
        before = bss_cli("balance", account, "-f", "json")[1]
        for args, said in refused.items():
            status, out, err = bss_cli(*args)
            assert (status, out) == (1, "") and err.startswith(f"error: {said}"), (args, err)
        assert bss_cli("balance", account, "-f", "json")[1] == before  # nothing recorded


def test_invoices_of_an_account_that_does_not_exist_are_an_error_not_an_empty_list(bss_cli: Any) -> None:  # noqa: F811
    with time_machine.travel(ORDERED, tick=False):
        assert bss_cli("catalog", "load", str(CATALOG))[0] == 0
        customer = json.loads(bss_cli("customer", "create", "ACME Ltd", "-f", "json")[1])["id"]
        account = json.loads(bss_cli("account", "open", customer, "--currency", "EUR", "-f", "json")[1])["id"]
        assert bss_cli("invoice", "list", "--account", account, "-f", "json")[:2] == (0, "[]\n")  # none yet: fine
        status, out, err = bss_cli("invoice", "list", "--account", "nope")
        assert (status, out) == (1, "") and err.strip() == "error: --account: no billing account 'nope'"
