"""TMF630 filtering on every BSS list, and what the API refuses before doing anything: each filter
is an attribute of the official schema with its type; ``.gt/.gte/.lt/.lte`` compare dates and
numbers (exact decimals, in the database or on the rendered resource); a date alone compares with
the date the attribute shows (in UTC, or where the account is billed for a due date or a billing
period), on SQLite and PostgreSQL; anything else, a query parameter a route does not declare, one
given twice, a page out of range or a number that is no number is a 400 naming it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import billing_commands as bc
from bss_bridge.entrypoints.api import billing, catalog, create_app, ordering, party
from bss_bridge.entrypoints.api.filters import Filters

from ..billing_world import account, bill, set_clock, subscribe, utc, volume
from ..billing_world import run as handle
from ..conftest import Clock
from .conftest import SPECS, TMF_DIR, exact_body

BILLS = "/tmf-api/customerBillManagement/v4/customerBill"
RATES = "/tmf-api/customerBillManagement/v4/appliedCustomerBillingRate"
PAY = "/tmf-api/paymentManagement/v4/payment"
PRODUCTS = "/tmf-api/productInventory/v4/product"
USAGE = "/tmf-api/usageManagement/v4/usage"

# Our extensions (documented where the resource is rendered): BssBillingAccount's currency, the
# usage's measured product, a price version's currency and the offering it belongs to.
EXTENSIONS = {("tmf666", "currency"), ("tmf635", "productId"), ("tmf620", "currency"), ("tmf620", "productOffering.id")}
LISTS = [
    ("tmf629", "Customer", party.CUSTOMER_FILTERS),
    ("tmf666", "BillingAccount", party.ACCOUNT_FILTERS),
    ("tmf620", "ProductSpecification", catalog.SPEC_FILTERS),
    ("tmf620", "ProductOffering", catalog.OFFERING_FILTERS),
    ("tmf620", "ProductOfferingPrice", catalog.PRICE_FILTERS),
    ("tmf622", "ProductOrder", ordering.ORDER_FILTERS),
    ("tmf622", "CancelProductOrder", ordering.CANCEL_FILTERS),
    ("tmf637", "Product", ordering.PRODUCT_FILTERS),
    ("tmf635", "Usage", billing.USAGE_FILTERS),
    ("tmf678", "CustomerBill", billing.BILL_FILTERS),
    ("tmf678", "AppliedCustomerBillingRate", billing.RATE_FILTERS),
    ("tmf676", "Payment", billing.PAYMENT_FILTERS),
]


@cache
def definitions(api: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((TMF_DIR / f"{SPECS[api]}.swagger.json").read_text())["definitions"]
    return loaded


def swagger_kind(api: str, definition: str, path: str) -> str | None:
    """The filter kind the swagger gives a dotted path (through refs and arrays), None if it has none."""
    found = definitions(api)
    schema: dict[str, Any] = found[definition]
    for part in path.split("."):
        while "$ref" in schema or schema.get("type") == "array":
            schema = found[schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema["items"]
        if part not in schema.get("properties", {}):
            return None
        schema = schema["properties"][part]
    while "$ref" in schema:
        schema = found[schema["$ref"].rsplit("/", 1)[-1]]
    if schema.get("format") == "date-time":
        return "date"
    return {"integer": "number", "number": "number", "boolean": "boolean"}.get(schema.get("type", "string"), "string")


@pytest.mark.parametrize(("api", "definition", "filters"), LISTS, ids=[d for _, d, _ in LISTS])
def test_each_filter_is_an_attribute_of_the_official_schema_with_its_type(
    api: str, definition: str, filters: Filters
) -> None:
    for path, spec in sorted(filters.attributes.items()):
        if (api, path) in EXTENSIONS:
            continue
        assert swagger_kind(api, definition, path) == spec.kind, f"{definition}.{path}"
    assert any(f.kind in ("date", "number") for f in filters.attributes.values()), "a list with nothing to compare"


@pytest.fixture
def billed(bss: Bss, client: TestClient, clock: Clock) -> tuple[str, str]:
    """An account with one subscription, usage, and March's and April's invoices (213.64, 59.40)."""
    acme = account(bss)
    sub = subscribe(bss, acme, utc(2026, 3, 10, 10))
    handle(bss, bc.ImportUsage((volume("u1", sub, utc(2026, 3, 12), 700, 500),)))
    bill(bss, utc(2026, 4, 1, 8), acme)
    return acme, sub


def numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [b["billNo"][-1] for b in response.json()]


def test_bills_compare_by_date_in_the_database_and_by_amount_exactly(
    client: TestClient, billed: tuple[str, str]
) -> None:
    assert numbers(client.get(BILLS, params={"billDate.gte": "2026-04-01T08:00:00Z"})) == ["1", "2"]
    assert numbers(client.get(BILLS, params={"billDate.gt": "2026-04-01T08:00:00Z"})) == []
    assert numbers(client.get(BILLS, params={"billingPeriod.startDateTime.lt": "2026-03-15"})) == ["1"]
    assert numbers(client.get(BILLS, params={"taxIncludedAmount.value.gt": "59.40"})) == ["1"]
    assert numbers(client.get(BILLS, params={"taxIncludedAmount.value.lte": "59.4"})) == ["2"]
    assert numbers(client.get(BILLS, params={"taxIncludedAmount.value": "213.640"})) == ["1"]
    page = client.get(BILLS, params={"taxIncludedAmount.value.gte": "0", "offset": "1", "limit": "5"})
    assert numbers(page) == ["2"] and page.headers["X-Total-Count"] == "2"  # counted before the page
    # due on 1 May where the account is billed (Paris): from midnight there, 22:00 UTC the day before
    due = client.get(BILLS, params={"paymentDueDate.gte": "2026-05-01T00:00:00+02:00", "state": "validated"})
    assert numbers(due) == ["1", "2"]
    assert numbers(client.get(BILLS, params={"paymentDueDate.gt": "2026-05-01T00:00:00+02:00"})) == []


def test_every_other_list_compares_its_dates_and_numbers(client: TestClient, billed: tuple[str, str]) -> None:
    acme, sub = billed
    rates = client.get(RATES, params={"billingAccount.id": acme, "taxExcludedAmount.value.gte": "10"})
    assert sorted(r["taxExcludedAmount"]["value"] for r in rates.json()) == [10.0, 28.03, 39.5, 150.0]
    products = client.get(PRODUCTS, params={"startDate.gte": "2026-03-10T10:00:00Z"}).json()
    assert [p["id"] for p in products] == [sub]
    assert client.get(PRODUCTS, params={"startDate.gt": "2026-03-10T10:00:00Z"}).json() == []
    assert [u["id"] for u in client.get(USAGE, params={"usageDate.lt": "2026-03-13"}).json()] == ["u1"]
    assert client.get(USAGE, params={"usageDate.gte": "2026-03-13", "status": "billed"}).json() == []
    client.post(PAY, json=payment("bank-1", acme, "100.00"))
    client.post(PAY, json=payment("bank-2", acme, "20.50"))
    paid = client.get(PAY, params={"totalAmount.value.gt": "20.5"}).json()
    assert [p["id"] for p in paid] == ["bank-1"]
    assert len(client.get(PAY, params={"paymentDate.lte": "2026-04-01T08:00:00Z"}).json()) == 2
    offerings = client.get(
        "/tmf-api/productCatalogManagement/v4/productOfferingPrice", params={"price.value.gte": "79"}
    )
    assert offerings.status_code == 200 and {p["price"]["value"] for p in offerings.json()} >= {79.0, 150.0}
    assert all(p["price"]["value"] >= 79 for p in offerings.json())


def payment(key: str, account_id: str, amount: str) -> dict[str, Any]:
    return {
        "correlatorId": key,
        "account": {"id": account_id},
        "totalAmount": {"unit": "EUR", "value": amount},
        "paymentMethod": {"name": "bank transfer"},
    }


@pytest.mark.parametrize(
    ("path", "params", "named", "said"),
    [
        (BILLS, {"state.gt": "validated"}, "state.gt", "compares numbers and dates; state is a string"),
        (BILLS, {"colour": "red"}, "colour", "cannot be filtered on 'colour'"),
        (BILLS, {"billDate.lt": "soon"}, "billDate.lt", "'soon' is not a date"),
        (BILLS, {"paymentDueDate.gte": "2026-02-30"}, "paymentDueDate.gte", "'2026-02-30' is not a date"),
        (BILLS, {"lastUpdate": "2026-04-01,someday"}, "lastUpdate", "is not a date"),
        (BILLS, {"taxIncludedAmount.value.gt": "1e"}, "taxIncludedAmount.value.gt", "is not a number"),
        (BILLS, {"taxIncludedAmount.value.gt": "NaN"}, "taxIncludedAmount.value.gt", "not a finite number"),
        (BILLS, {"limit": "0"}, "limit", "must be from 1 to 10000"),
        (BILLS, {"offset": str(10**30)}, "offset", "must be from 0 to 1000000000"),
        (f"{BILLS}/INV-2026-000001", {"field": "state"}, "field", "unknown query parameter (known: fields)"),
        ("/bss/v1/balance/x", {"at": "now"}, "at", "unknown query parameter (it takes none)"),
        (PRODUCTS, {"status": "active", "limit": "2", "Status": "x"}, "Status", "cannot be filtered on 'Status'"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(
    client: TestClient, path: str, params: dict[str, str], named: str, said: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400, response.text
    assert [p["field"] for p in response.json()["problems"]] == [named] and said in response.json()["message"]


def test_a_parameter_given_twice_is_refused_not_guessed(client: TestClient) -> None:
    response = client.get(f"{BILLS}?state=validated&state=settled")
    assert response.status_code == 400 and response.json()["problems"][0]["field"] == "state"
    assert "more than once" in response.json()["message"]


def test_numbers_in_bodies_are_exact_and_bounded(bss: Bss, client: TestClient, billed: tuple[str, str]) -> None:
    acme, sub = billed
    for value in ("1e999999999", "1e-999999999", "12,50", "twelve"):
        refused = client.post(PAY, json=payment("bank-9", acme, value))
        assert refused.status_code == 400 and refused.json()["problems"][0]["field"] == "totalAmount.value", value
    huge = {"id": "u9", "usageDate": "2026-03-12T10:00:00Z", "usageType": "volume"}
    huge["usageCharacteristic"] = [
        {"name": "productId", "value": sub},
        {"name": "inboundOctets", "value": Decimal("1e999999999")},
        {"name": "outboundOctets", "value": 0},
    ]
    response = client.post(USAGE, **exact_body(huge))  # a JSON number 1e999999999: int() of it would never end
    assert response.status_code == 400 and "octets are whole numbers" in response.json()["message"]
    exact = client.post(PAY, json=payment("bank-10", acme, "0.10"))
    assert exact.status_code == 201 and exact.json()["totalAmount"]["value"] == 0.1
    assert client.get(PAY, params={"totalAmount.value": "0.1"}).json()[0]["id"] == "bank-10"


def zoned_bills(bss: Bss, client: TestClient) -> dict[str, str]:
    """Accounts in Paris and New York, each subscribed on 10 March and billed on 1 April at 08:00 UTC
    (March's and April's bills, due on 1 May where each is billed: 22:00 UTC the day before in Paris,
    04:00 UTC in New York); Paris's April bill sent at noon that day; Paris's May bill run on 1 May.
    Each bill's id by "<city> <month its period starts in, where it is billed>"."""
    paris, new_york = account(bss), account(bss, zone="America/New_York", name="NY")
    for each in (paris, new_york):
        subscribe(bss, each, utc(2026, 3, 10, 10))
    bill(bss, utc(2026, 4, 1, 8), paris, new_york)
    city = {paris: "paris", new_york: "new-york"}

    def named() -> dict[str, str]:
        with bss.uow() as uow:
            return {f"{city[b.account_id]} {b.period.start:%m}": b.id for b in uow.invoices.list([])[0]}

    set_clock(bss, utc(2026, 4, 1, 12))
    assert client.patch(f"{BILLS}/{named()['paris 04']}", json={"state": "sent"}).status_code == 200
    bill(bss, utc(2026, 5, 1, 8), paris)
    return named()


@pytest.fixture
def zoned(bss: Bss, client: TestClient) -> dict[str, str]:
    return zoned_bills(bss, client)


def labels(response: Any, bills: dict[str, str], key: str = "id") -> list[str]:
    """The labels of the bills listed (``key``: the path to each one's bill id), sorted."""
    assert response.status_code == 200, response.text
    named = {v: k for k, v in bills.items()}
    ids = [item[key] if key == "id" else item[key]["id"] for item in response.json()]
    return sorted({named[i] for i in ids})


def test_a_due_date_alone_is_the_date_where_the_account_is_billed(client: TestClient, zoned: dict[str, str]) -> None:
    april = ["new-york 03", "new-york 04", "paris 03", "paris 04"]
    assert labels(client.get(BILLS, params={"paymentDueDate.gte": "2026-05-01"}), zoned) == [*april, "paris 05"]
    assert labels(client.get(BILLS, params={"paymentDueDate": "2026-05-01"}), zoned) == april
    assert labels(client.get(BILLS, params={"paymentDueDate": "2026-05-31"}), zoned) == ["paris 05"]
    assert labels(client.get(BILLS, params={"paymentDueDate": "2026-05-31, 2026-05-01"}), zoned) == sorted(zoned)
    for nothing in ("2026-04-30", "2026-05-30"):  # Paris's due dates in UTC: not the dates it shows
        assert labels(client.get(BILLS, params={"paymentDueDate": nothing}), zoned) == []
    assert labels(client.get(BILLS, params={"paymentDueDate.gt": "2026-05-01"}), zoned) == ["paris 05"]
    assert labels(client.get(BILLS, params={"paymentDueDate.lte": "2026-05-01"}), zoned) == april
    assert labels(client.get(BILLS, params={"paymentDueDate.lt": "2026-05-01"}), zoned) == []
    # a time is still that instant: 1 May's midnight UTC is after Paris's and before New York's
    assert labels(client.get(BILLS, params={"paymentDueDate.lt": "2026-05-01T00:00:00Z"}), zoned) == [
        "paris 03",
        "paris 04",
    ]


def test_a_billing_period_compares_by_the_dates_it_shows_where_it_is_billed(
    client: TestClient, zoned: dict[str, str]
) -> None:
    since_april = labels(client.get(BILLS, params={"billingPeriod.startDateTime.gte": "2026-04-01"}), zoned)
    assert since_april == ["new-york 04", "paris 04", "paris 05"]
    april = client.get(BILLS, params={"billingPeriod.startDateTime": "2026-04-01"})
    assert labels(april, zoned) == ["new-york 04", "paris 04"]
    ends = client.get(BILLS, params={"billingPeriod.endDateTime.lte": "2026-04-01"})
    assert labels(ends, zoned) == ["new-york 03", "paris 03"]
    assert labels(client.get(BILLS, params={"billingPeriod.startDateTime.lt": "2026-04-01"}), zoned) == [
        "new-york 03",
        "paris 03",
    ]
    assert labels(client.get(BILLS, params={"billingPeriod.startDateTime.gt": "2026-04-01"}), zoned) == ["paris 05"]
    page = client.get(BILLS, params={"billingPeriod.startDateTime.gte": "2026-04-01", "limit": "2"})
    assert len(page.json()) == 2 and page.headers["X-Total-Count"] == "3"
    rates = client.get(RATES, params={"periodCoverage.startDateTime.gte": "2026-04-01"})
    assert labels(rates, zoned, "bill") == ["new-york 04", "paris 04", "paris 05"]
    activation = client.get(RATES, params={"periodCoverage.startDateTime": "2026-03-10"})
    assert labels(activation, zoned, "bill") == ["new-york 03", "paris 03"]


def test_a_date_alone_is_any_time_of_that_utc_date_in_the_database(client: TestClient, zoned: dict[str, str]) -> None:
    april = ["new-york 03", "new-york 04", "paris 03", "paris 04"]
    noon = client.get(f"{BILLS}/{zoned['paris 04']}").json()["lastUpdate"]
    assert noon.startswith("2026-04-01T12:")
    assert labels(client.get(BILLS, params={"lastUpdate.lte": "2026-04-01"}), zoned) == april
    assert labels(client.get(BILLS, params={"lastUpdate": "2026-04-01"}), zoned) == april
    assert labels(client.get(BILLS, params={"lastUpdate": f"2026-05-01,{noon}"}), zoned) == ["paris 04", "paris 05"]
    assert labels(client.get(BILLS, params={"lastUpdate.gt": "2026-04-01"}), zoned) == ["paris 05"]
    assert labels(client.get(BILLS, params={"lastUpdate.gte": "2026-04-02"}), zoned) == ["paris 05"]
    assert labels(client.get(BILLS, params={"lastUpdate.lt": "2026-04-01"}), zoned) == []
    page = client.get(BILLS, params={"lastUpdate": "2026-04-01", "offset": "1", "limit": "2"})
    assert len(page.json()) == 2 and page.headers["X-Total-Count"] == "4"
    assert labels(client.get(RATES, params={"date": "2026-05-01"}), zoned, "bill") == ["paris 05"]
    # in SQL on a column shown in UTC; on the rendered bills where the date is the account's
    query = billing.BILL_FILTERS.read([("lastUpdate", "2026-04-01"), ("billingPeriod.startDateTime", "2026-04-01")])
    assert [c.path for c in query.database] == ["lastUpdate"]
    assert [c.path for c in query.rendered] == ["billingPeriod.startDateTime"]
    instant = billing.BILL_FILTERS.read([("billingPeriod.startDateTime.gte", "2026-03-31T22:00:00Z")])
    assert instant.rendered == [] and len(instant.database) == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"billDate.gt": "9999-12-31"}, 0),
        ({"billDate": "9999-12-31"}, 0),
        ({"billDate.lte": "9999-12-31"}, 5),
        ({"billDate.gte": "0001-01-01"}, 5),
        ({"billDate.lt": "0001-01-01"}, 0),
        ({"paymentDueDate.gt": "9999-12-31"}, 0),
        ({"billingPeriod.endDateTime.lte": "9999-12-31"}, 5),
    ],
)
def test_the_first_and_last_dates_there_are_compare_too(
    client: TestClient, zoned: dict[str, str], params: dict[str, str], expected: int
) -> None:
    assert len(zoned) == 5
    response = client.get(BILLS, params=params)
    assert response.status_code == 200, response.text
    assert len(response.json()) == expected == int(response.headers["X-Total-Count"])


def test_the_document_says_a_date_filter_takes_a_date_or_a_date_time() -> None:
    schemas = {p["name"]: p["schema"] for p in billing.BILL_FILTERS.parameters()}
    for name in ("billDate", "lastUpdate.lte", "paymentDueDate.gte", "billingPeriod.startDateTime"):
        assert sorted(s["format"] for s in schemas[name]["anyOf"]) == ["date", "date-time"], name


@pytest.fixture
def any_client(any_bss: Bss) -> Iterator[TestClient]:
    with TestClient(create_app(any_bss)) as test_client:
        yield test_client


def test_dates_alone_on_sqlite_and_postgresql(any_bss: Bss, any_client: TestClient) -> None:
    zoned = zoned_bills(any_bss, any_client)
    april = ["new-york 03", "new-york 04", "paris 03", "paris 04"]
    assert labels(any_client.get(BILLS, params={"lastUpdate.lte": "2026-04-01"}), zoned) == april
    assert labels(any_client.get(BILLS, params={"lastUpdate.gt": "2026-04-01"}), zoned) == ["paris 05"]
    page = any_client.get(BILLS, params={"lastUpdate": "2026-04-01,2026-05-01", "limit": "3"})
    assert len(page.json()) == 3 and page.headers["X-Total-Count"] == "5"
    since_april = any_client.get(BILLS, params={"billingPeriod.startDateTime.gte": "2026-04-01"})
    assert labels(since_april, zoned) == ["new-york 04", "paris 04", "paris 05"]
    assert labels(any_client.get(BILLS, params={"paymentDueDate": "2026-05-01"}), zoned) == april
    for first_and_last, expected in (
        ({"billDate.gte": "0001-01-01"}, sorted(zoned)),
        ({"billDate.gt": "9999-12-31"}, []),
    ):
        assert labels(any_client.get(BILLS, params=first_and_last), zoned) == expected
