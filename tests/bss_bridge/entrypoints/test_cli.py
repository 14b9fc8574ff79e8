"""``oss-bss`` as an operator uses it: one line per error naming the field, JSON for scripts, the
same commands (and results) as the API."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bss_bridge.entrypoints.cli import main
from bss_bridge.storage import migrate
from bss_bridge.storage.engine import engine_for

from ...conftest import PostgresServer
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
        (["account", "list", "--customer", "nope"], "error: --customer: no customer 'nope'"),
        (["product", "list", "--customer", "nope"], "error: --customer: no customer 'nope'"),
        (["product", "list", "--status", "actve"], "error: --status: 'actve' is not a product status (created,"),
        (["order", "list", "--state", "done"], "error: --state: 'done' is not an order state (acknowledged,"),
    ],
)
def test_errors_are_one_line_naming_the_field(bss_cli: Any, args: list[str], message: str) -> None:
    assert bss_cli("catalog", "load", str(CATALOG))[0] == 0
    status, _, err = bss_cli(*args)
    assert status == 1 and err.startswith(message), err
    assert "Traceback" not in err


def test_a_broken_catalog_file_is_refused_with_file_line_and_field(bss_cli: Any, tmp_path: Path) -> None:
    assert bss_cli("db", "upgrade")[0] == 0
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


READS = [
    ["customer", "list"],
    ["account", "list"],
    ["catalog", "list"],
    ["catalog", "show", "bia-100"],
    ["order", "list"],
    ["product", "list"],
    ["invoice", "list"],
    ["invoice", "show", "INV-2026-000001"],
    ["balance", "acc-1"],
    ["kpi", "show"],
    ["bridge", "status"],
    ["bill", "run", "--preview"],
    ["customer", "create", "ACME Ltd"],  # a write on no BSS is refused as well: it would start an empty one
]


def test_a_command_on_a_missing_database_says_so_and_creates_nothing(bss_cli: Any, clean_env: Path) -> None:
    """A mistyped data directory (or URL) used to create an empty database and list nothing, exit 0."""
    for args in READS:
        status, out, err = bss_cli(*args)
        assert status == 1 and out == "", (args, out, err)
        assert err.startswith(f"error: the BSS database sqlite:///{clean_env / 'bss.db'} does not exist: "), err
        assert "oss-bss db upgrade" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert not clean_env.exists(), args  # neither the file nor its directory


def test_the_commands_that_start_a_bss_create_its_database(bss_cli: Any, clean_env: Path) -> None:
    status, out, err = bss_cli("catalog", "load", str(CATALOG))
    assert status == 0 and "created 8" in out, err
    assert (clean_env / "bss.db").exists()
    assert [o["id"] for o in json.loads(bss_cli("catalog", "list", "-f", "json")[1])][:1] == ["bia-100"]
    assert bss_cli("invoice", "list", "-f", "json")[1].strip() == "[]"  # a BSS without invoices: that is fine


def _tables(database: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return connection.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


def test_a_database_not_at_this_versions_schema_is_refused_and_left_as_it_is(
    bss_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "other.db"
    monkeypatch.setenv("OSS_AGENT_BSS_DATABASE_URL", f"sqlite:///{database}")
    shown = f"error: the BSS database sqlite:///{database}"

    database.touch()  # empty
    status, out, err = bss_cli("invoice", "list")
    assert (status, out) == (1, "") and err.startswith(f"{shown} is empty: "), err
    assert "oss-bss db upgrade" in err and database.read_bytes() == b""  # not even switched to WAL

    with sqlite3.connect(database) as connection:  # another program's
        connection.execute("CREATE TABLE invoices (id TEXT)")
    connection.close()
    before = database.read_bytes()
    status, _, err = bss_cli("customer", "list")
    assert status == 1 and err.startswith(f"{shown} holds 1 table(s) but no BSS schema (no bss_alembic_version)")
    assert database.read_bytes() == before
    database.unlink()

    engine = engine_for(f"sqlite:///{database}")
    migrate.upgrade(engine, "0004")  # an older version's
    engine.dispose()
    before, schema = database.read_bytes(), _tables(database)
    status, out, err = bss_cli("invoice", "list", "-f", "json")
    assert (status, out) == (1, "")
    assert err.startswith(f"{shown} is at revision 0004, older than this version's {migrate.head()}: ")
    assert "upgrade it with 'oss-bss db upgrade'" in err
    assert database.read_bytes() == before and _tables(database) == schema
    assert bss_cli("db", "upgrade")[0] == 0
    assert bss_cli("invoice", "list", "-f", "json")[:2] == (0, "[]\n")

    with sqlite3.connect(database) as connection:  # a newer version's
        connection.execute("UPDATE bss_alembic_version SET version_num = '0099'")
    connection.close()
    status, _, err = bss_cli("invoice", "list")
    assert status == 1 and err.startswith(f"{shown} is at revision 0099, which this version does not know")
    assert "use the oss-bss that migrated it" in err and "db upgrade" not in err


@pytest.mark.postgres
def test_a_postgresql_url_is_shown_without_its_password(
    bss_cli: Any, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.create_database().replace("//oss@", "//oss:pa55-w0rd@")  # trust: the password is not checked
    assert "pa55-w0rd" in url
    said: list[str] = []

    def cli(*args: str) -> tuple[int, str, str]:
        status, out, err = bss_cli(*args)
        said.extend((out, err))
        return status, out, err

    monkeypatch.setenv("OSS_AGENT_BSS_DATABASE_URL", url)
    status, _, err = cli("invoice", "list")
    assert status == 1 and err.startswith("error: the BSS database postgresql+psycopg://oss:***@/t_"), err
    assert " is empty: " in err
    assert cli("db", "upgrade")[0] == 0
    assert cli("invoice", "list", "-f", "json")[:2] == (0, "[]\n")
    monkeypatch.setenv("OSS_AGENT_BSS_DATABASE_URL", url.replace("/t_", "/missing_"))
    status, _, err = cli("customer", "list")
    assert status == 1 and err.startswith("error: cannot open the BSS database postgresql+psycopg://oss:***@/missing_")
    assert "does not exist" in err
    assert "***" in "".join(said) and "pa55-w0rd" not in "".join(said)


@pytest.mark.postgres
def test_a_password_given_as_a_query_parameter_is_never_shown(
    bss_cli: Any, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq takes ``?password=``, which SQLAlchemy's hide_password leaves as it is."""
    url = f"{postgres.create_database()}&password=qu3ry-pa55&sslpassword=k3y-pa55"  # trust: nothing is checked
    monkeypatch.setenv("OSS_AGENT_BSS_DATABASE_URL", url)
    status, out, err = bss_cli("invoice", "list")
    assert status == 1 and " is empty: " in err, err
    assert "password=***" in err and "sslpassword=***" in err and "host=%2F" in err
    said = [out, err]
    monkeypatch.setenv("OSS_AGENT_BSS_DATABASE_URL", url.replace("/t_", "/missing_"))
    status, out, err = bss_cli("customer", "list")
    assert status == 1 and "cannot open the BSS database" in err, err
    said += [out, err]
    monkeypatch.setenv("OSS_AGENT_BSS_DATABASE_URL", url)
    status, out, err = bss_cli("db", "upgrade", "-f", "json")
    assert status == 0 and "password=***" in json.loads(out)["database"], err
    said += [out, err]
    assert "qu3ry-pa55" not in "".join(said) and "k3y-pa55" not in "".join(said)
