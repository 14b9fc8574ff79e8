"""The BSS's KPIs from a real BSS's stored data (orders, activations, a termination, a bill run, a
credit note) through ``GET /bss/v1/kpis`` and ``oss-bss kpi show``."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bss_bridge.bootstrap import Bss
from bss_bridge.entrypoints.cli import main
from bss_bridge.storage.billing_tables import InvoiceLineRow, InvoiceRow

from ..billing_world import world

D = Decimal


def month_of(bill: dict[str, Any]) -> str:
    """The month of a bill's period in the account's zone (both accounts are in Paris)."""
    start = datetime.fromisoformat(bill["billingPeriod"]["startDateTime"].replace("Z", "+00:00"))
    return start.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m")


def test_churn_arpu_and_billing_accuracy_from_the_stored_data_over_http(bss: Bss, client: TestClient) -> None:
    world(bss)
    bills = client.get("/tmf-api/customerBillManagement/v4/customerBill").json()
    march_bill = next(b for b in bills if month_of(b) == "2026-03")
    note = {
        "id": "cn-1",
        "billingAccount": {"id": march_bill["billingAccount"]["id"]},
        "amount": {"unit": "EUR", "value": 5},
        "reason": "goodwill",
        "bill": {"id": march_bill["id"]},
    }
    issued = client.post("/bss/v1/creditNote", json=note)
    assert issued.status_code == 201, issued.text
    found = client.get("/bss/v1/kpis", params={"months": 3, "until": "2026-04"}).json()

    # Both subscriptions started in February; Globex's ended on 16 March: 1 of the 2 active on 1 March
    assert [(c["month"], c["activeAtStart"], c["churned"], c["rate"]) for c in found["churn"]] == [
        ("2026-02", 0, 0, None),
        ("2026-03", 2, 1, "0.5000"),
        ("2026-04", 1, 0, "0.0000"),
    ]
    assert [(c["started"], c["terminated"]) for c in found["churn"]] == [(2, 0), (0, 1), (0, 0)]
    # ARPU: the bills' tax-excluded amounts of each month over its active customers (2, 2, then ACME alone)
    for figure, customers in zip(found["arpu"], (2, 2, 1), strict=True):
        revenue = sum(D(str(b["taxExcludedAmount"]["value"])) for b in bills if month_of(b) == figure["month"])
        assert figure["activeCustomers"] == customers and D(figure["revenue"]) == revenue
        assert D(figure["arpu"]) == (revenue / customers).quantize(D("0.01"))
    # Every line the bill run wrote is confirmed (prorated charges, a termination's credit, usage);
    # March's bill has the credit note
    accuracy = {a["month"]: a for a in found["billingAccuracy"]}
    assert all(a["share"] == "1.0000" and a["unconfirmed"] == [] for a in accuracy.values())
    assert (
        sum(a["lines"] for a in accuracy.values())
        == len(client.get("/tmf-api/customerBillManagement/v4/appliedCustomerBillingRate").json())
        > 0
    )
    assert (accuracy["2026-03"]["creditNotes"], accuracy["2026-03"]["creditNotesPerInvoice"]) == (1, "0.5000")
    assert client.get("/bss/v1/kpis", params={"months": 0}).status_code == 400
    assert "until" in client.get("/bss/v1/kpis", params={"until": "2026-13"}).json()["message"]


def test_a_wrong_line_in_the_database_is_not_confirmed_and_the_cli_says_which(
    bss: Bss, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world(bss)
    with bss.uow() as uow:
        line = uow.session.scalars(select(InvoiceLineRow).where(InvoiceLineRow.kind == "recurringCharge")).first()
        assert line is not None
        line.gross += D("0.01")
        line.amount += D("0.01")
        invoice = uow.session.get(InvoiceRow, line.invoice_id)
        assert invoice is not None
        invoice.subtotal += D("0.01")  # the totals still sum the lines: only the line's own arithmetic is off
        invoice.total += D("0.01")
        uow.commit()
    config = tmp_path / "cli.yaml"
    config.write_text(f"data_dir: {tmp_path / 'cli'}\ndatabase_url: sqlite:///{tmp_path / 'bss.db'}\noss_url: null\n")
    assert main(["--config", str(config), "kpi", "show", "--months", "3", "--until", "2026-04", "-f", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    [wrong] = [a for a in found["billingAccuracy"] if a["unconfirmed"]]
    assert wrong["confirmed"] == wrong["lines"] - 1 and wrong["unconfirmed"][0].startswith(line.id.rsplit("-", 1)[0])
    assert "gross" in wrong["unconfirmed"][0]
    assert main(["--config", str(config), "kpi", "show", "--until", "2026-04"]) == 0
    table = capsys.readouterr().out
    assert "churn" in table and "50.00 %" in table and f"not confirmed ({wrong['month']})" in table
