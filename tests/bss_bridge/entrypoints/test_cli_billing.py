"""Billing from ``oss-bss``: a bill run's preview and the run agree, invoices are listed, shown and
written as PDF and CSV, a payment (retried) counts once, the balance follows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..conftest import CATALOG
from .test_cli import bss_cli  # noqa: F401 - the fixture


def test_bill_run_invoices_payment_and_balance_from_the_cli(bss_cli: Any, tmp_path: Path) -> None:  # noqa: F811
    assert bss_cli("db", "upgrade")[0] == 0
    assert bss_cli("catalog", "load", str(CATALOG))[0] == 0
    customer = json.loads(bss_cli("customer", "create", "ACME Ltd", "-f", "json")[1])["id"]
    account = json.loads(
        bss_cli(
            "account",
            "open",
            customer,
            "--currency",
            "EUR",
            "--tax-rate",
            "20",
            "--time-zone",
            "Europe/Paris",
            "-f",
            "json",
        )[1]
    )["id"]
    order = json.loads(bss_cli("order", "add", "--account", account, "bia-100:site=customer1", "-f", "json")[1])
    assert bss_cli("order", "start", order["id"])[0] == 0 and bss_cli("order", "complete", order["id"], "1")[0] == 0
    status, out, err = bss_cli("bill", "run", "--preview", "-f", "json")
    assert status == 0, err
    preview = json.loads(out)
    status, out, _ = bss_cli("bill", "run", "-f", "json")
    issued = json.loads(out)
    assert [b["total"] for b in preview["bills"]] == [b["total"] for b in issued["bills"]]
    assert preview["lines"] == issued["lines"] and issued["bills"][0]["billNo"].startswith("INV-")
    assert json.loads(bss_cli("bill", "run", "-f", "json")[1])["bills"] == []  # nothing new
    number = issued["bills"][0]["billNo"]
    (listed,) = json.loads(bss_cli("invoice", "list", "-f", "json")[1])
    assert (listed["billNo"], listed["state"]) == (number, "validated")
    assert "to pay (EUR)" in bss_cli("invoice", "show", number)[1]
    assert bss_cli("invoice", "pdf", number, "-o", str(tmp_path / "i.pdf"))[0] == 0
    assert (tmp_path / "i.pdf").read_bytes().startswith(b"%PDF-")
    assert bss_cli("invoice", "pdf", number, "--csv", "-o", str(tmp_path / "i.csv"))[0] == 0
    assert number in (tmp_path / "i.csv").read_text()
    total = issued["bills"][0]["total"].split()[0]
    assert "recorded" in bss_cli("payment", "add", account, total, "--key", "bank-1")[1]
    assert "counted once" in bss_cli("payment", "add", account, total, "--key", "bank-1")[1]
    status, _, err = bss_cli("payment", "add", account, "1.00", "--key", "bank-1")
    assert status == 1 and "bank-1" in err
    balance = json.loads(bss_cli("balance", account, "-f", "json")[1])
    assert balance["balance"]["value"] == 0 and balance["openBills"] == []
    assert bss_cli("dunning", "run")[1].strip() == "nothing to do"
    assert "rated 0 record(s)" in bss_cli("usage", "rate")[1]
