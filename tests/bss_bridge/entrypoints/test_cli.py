"""``oss-bss`` as an operator uses it: one line per error naming the field, JSON for scripts, the
same commands (and results) as the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bss_bridge.entrypoints.cli import main

from ..conftest import CATALOG
from .conftest import validate


@pytest.fixture
def bss_cli(clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    """Runs ``oss-bss --config <file> ARGS``; returns (exit status, stdout, stderr). No OSS is
    configured: sites and devices go unchecked (the checks are tested against the real OSS)."""
    config = tmp_path / "bss.yaml"
    config.write_text(f"data_dir: {clean_env}\noss_url: null\ncatalog_file: {CATALOG}\n")

    def run(*args: str) -> tuple[int, str, str]:
        status = main(["--config", str(config), *args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def test_a_customer_orders_through_the_cli(bss_cli: Any) -> None:
    assert bss_cli("db", "upgrade")[0] == 0
    status, out, _ = bss_cli("catalog", "load", str(CATALOG), "-f", "json")
    assert status == 0 and len(json.loads(out)["created"]) == 8
    status, out, _ = bss_cli("customer", "create", "ACME Ltd", "--email", "noc@acme.example", "-f", "json")
    customer = json.loads(out)
    validate("tmf629", "Customer", customer)
    status, out, _ = bss_cli(
        "account",
        "open",
        customer["id"],
        "--currency",
        "EUR",
        "--tax-rate",
        "20",
        "--bill-cycle-day",
        "last",
        "-f",
        "json",
    )
    account = json.loads(out)
    validate("tmf666", "BillingAccount", account)
    status, out, _ = bss_cli("quote", "--account", account["id"], "bia-100:site=customer1", "-f", "json")
    quote = json.loads(out)
    assert (quote["oneTimeTotal"]["value"], quote["monthlyTotal"]["value"], quote["monthlyDiscount"]["value"]) == (
        150.0,
        79.0,
        -39.5,
    )
    status, out, _ = bss_cli(
        "order", "add", "--account", account["id"], "--external-id", "cli-1", "bia-100:site=customer1", "-f", "json"
    )
    order = json.loads(out)
    validate("tmf622", "ProductOrder", order)
    assert order["orderTotalPrice"] == quote["quoteTotalPrice"]
    status, out, _ = bss_cli(
        "order", "add", "--account", account["id"], "--external-id", "cli-1", "bia-100:site=customer1"
    )
    assert status == 0 and "already names this order" in out
    assert bss_cli("order", "start", order["id"])[0] == 0
    assert bss_cli("order", "complete", order["id"], "1")[0] == 0
    status, out, _ = bss_cli("product", "list", "--status", "active", "-f", "json")
    (product,) = json.loads(out)
    validate("tmf637", "Product", product)
    assert product["productCharacteristic"] == [
        {"name": "site", "value": "customer1", "valueType": "string"},
        {"name": "bandwidthMbps", "value": 100, "valueType": "integer"},
    ]
    status, out, _ = bss_cli("catalog", "price", "bia-100", "monthly", "--currency", "EUR", "--monthly", "84.00")
    assert status == 0 and "bia-100.monthly.EUR.v2: monthly: 84.00 EUR a month" in out
    status, out, _ = bss_cli("product", "migrate", product["id"], "-f", "json")
    assert [p["productOfferingPrice"]["id"] for p in json.loads(out)[0]["productPrice"] if p["name"] == "monthly"] == [
        "bia-100.monthly.EUR.v2"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["account", "open", "nobody", "--currency", "EUR"], "error: relatedParty: no customer 'nobody'"),
        (
            ["quote", "--currency", "EUR", "nope:site=x"],
            "error: productOrderItem[0].productOffering.id: no product offering 'nope'",
        ),
        (
            ["quote", "--currency", "EUR", "bia-100:site=x,bandwidthMbps=1000"],
            "error: productOrderItem[0].product.productCharacteristic[1].value: this offering fixes bandwidthMbps to 1",
        ),
        (["quote", "bia-100"], "error: --account/--currency: give exactly one of them"),
        (["order", "show", "nope"], "error: no productOrder with id 'nope'"),
        (["catalog", "load", "/nonexistent.yaml"], "error: /nonexistent.yaml: cannot read it"),
    ],
)
def test_errors_are_one_line_naming_the_field(bss_cli: Any, args: list[str], message: str) -> None:
    assert bss_cli("catalog", "load", str(CATALOG))[0] == 0
    status, _, err = bss_cli(*args)
    assert status == 1 and err.startswith(message), err
    assert "Traceback" not in err


def test_a_broken_catalog_file_is_refused_with_file_line_and_field(bss_cli: Any, tmp_path: Path) -> None:
    broken = tmp_path / "catalog.yaml"
    broken.write_text(
        CATALOG.read_text()
        .replace('recurring: "79.00"', "recurring: -79")
        .replace("values: [100, 1000]", "values: 100")
    )
    status, _, err = bss_cli("catalog", "load", str(broken))
    lines = err.strip().splitlines()
    assert status == 1 and len(lines) == 2, err
    assert (
        f"{broken}:" in lines[0] and "specifications[0].characteristics[2].values: a list of allowed values" in lines[0]
    )
    assert "offerings[0].prices[1].recurring: a recurring amount must not be negative" in lines[1]
    assert bss_cli("catalog", "list", "-f", "json")[1].strip() == "[]"
