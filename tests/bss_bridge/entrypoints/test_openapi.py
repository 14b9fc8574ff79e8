"""The BSS's OpenAPI document describes what its server does: schemathesis sends what the document
allows (and what it forbids) to every operation and checks each answer against it: status codes,
bodies, headers, content types, 5xx, and that the bearer token is really required.

Bounded: a few examples per operation and mode (``EXAMPLES``), no deadline per example; the BSS
holds an account with an active subscription and an invoice, so lookups also find something."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from pydantic import SecretStr
from schemathesis.specs.openapi.checks import positive_data_acceptance

from bss_bridge.bootstrap import Bss
from bss_bridge.entrypoints.api import create_app

from ...openapi_fuzz import findings
from ..billing_world import account, bill, subscribe, utc
from ..conftest import Clock, KnownInventory, make_bss

TOKEN = "schemathesis-bss-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 5
# Bodies whose shape the document states, but whose acceptance also rests on what is stored or on rules
# across fields, which a schema cannot say: a well-shaped one may be refused, with a 400 naming the field.
BEYOND_THE_SCHEMA = {
    "POST /tmf-api/customerManagement/v4/customer": "a contact medium's required characteristics follow its mediumType",
    "POST /tmf-api/accountManagement/v4/billingAccount": "its customer must exist",
    "PATCH /tmf-api/accountManagement/v4/billingAccount/{account_id}": "a credit limit in its currency",
    "POST /tmf-api/productCatalogManagement/v4/productOffering": "a specification or bundled offerings that exist",
    "POST /tmf-api/productCatalogManagement/v4/productOfferingPrice": "terms that fit the price type, of an offering",
    "POST /tmf-api/productOrderingManagement/v4/productOrder": "the catalog, the customer and the account",
    "POST /bss/v1/quote": "the catalog, and an account or a currency",
    "POST /tmf-api/usageManagement/v4/usage": "the characteristics its usageType needs",
    "POST /bss/v1/usageImport": "the characteristics each usageType needs",
    "POST /tmf-api/paymentManagement/v4/payment": "an account that exists, an amount in its currency",
    "POST /bss/v1/creditNote": "an account that exists, an amount in its currency",
    "POST /bss/v1/outage": "a product that exists, a start before the end",
    "POST /bss/v1/maintenanceWindow": "products that exist, a start not past and before the end",
    "POST /bss/v1/billRun": "accounts that exist",
    "POST /tmf-api/productCatalogManagement/v4/productSpecification": "values of each characteristic's valueType",
    "POST /tmf-api/troubleTicket/v4/troubleTicket": "one customer that exists, and its products",
}


@pytest.fixture(scope="module")
def bss(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bss]:
    data: Path = tmp_path_factory.mktemp("bss-openapi")
    inventory = KnownInventory({"customer1"}, {"pe1"})
    bss = make_bss(f"sqlite:///{data / 'bss.db'}", data, inventory, Clock(utc(2026, 3, 1)), api_token=SecretStr(TOKEN))
    acme = account(bss)
    subscribe(bss, acme, utc(2026, 3, 10, 10))
    bill(bss, utc(2026, 4, 1, 8), acme)
    yield bss
    bss.close()


def beyond_the_schema(label: str) -> list[Any]:
    """An operation whose acceptance rests on more than its schema: a well-shaped body may be refused."""
    hub = label.startswith("POST ") and label.endswith("/hub")  # its query names the API's event types
    return [positive_data_acceptance] if label in BEYOND_THE_SCHEMA or hub else []


def test_the_server_does_what_its_openapi_document_says(bss: Bss) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(bss))
    operations, failures = findings(schema, AUTH, EXAMPLES, beyond_the_schema)
    assert operations > 40
    assert not failures, "\n\n".join(failures)


def test_the_document_declares_bodies_400_not_422_404_and_the_bearer_challenge(bss: Bss) -> None:
    with TestClient(create_app(bss)) as client:
        document = client.get("/openapi.json", headers=AUTH).json()
        refused = client.get("/tmf-api/customerBillManagement/v4/customerBill")
    paths = document["paths"]
    operations = [op for item in paths.values() for op in item.values()]
    assert all("422" not in op["responses"] for op in operations)
    payment = paths["/tmf-api/paymentManagement/v4/payment"]["post"]
    body = payment["requestBody"]["content"]["application/json"]["schema"]
    assert payment["requestBody"]["required"] and {"correlatorId", "account", "totalAmount"} <= set(body["required"])
    assert body["additionalProperties"] is False  # unknown fields are refused, and the document says so
    assert {"400", "401", "409"} <= set(payment["responses"])
    assert "WWW-Authenticate" in payment["responses"]["401"]["headers"]
    assert "404" in paths["/tmf-api/customerBillManagement/v4/customerBill/{bill_id}"]["get"]["responses"]
    bills = paths["/tmf-api/customerBillManagement/v4/customerBill"]["get"]["parameters"]
    assert {"billDate.gte", "taxIncludedAmount.value.lt", "offset", "limit", "fields"} <= {p["name"] for p in bills}
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    assert (
        "Error" in document["components"]["schemas"] and "HTTPValidationError" not in document["components"]["schemas"]
    )
