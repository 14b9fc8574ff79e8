"""TMF620 over HTTP: the demo catalog as specifications, offerings and price versions, all
schema-valid; managed through the API (a price change is a new version); bad definitions refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bss_bridge.bootstrap import Bss

from ..conftest import Clock
from .conftest import decimal_json, exact_body, validate

BASE = "/tmf-api/productCatalogManagement/v4"


def problems(response: Any) -> list[str]:
    assert response.status_code == 400, response.text
    validate("tmf620", "Error", response.json())
    return [p["field"] for p in response.json()["problems"]]


def test_the_demo_catalog_is_served_schema_valid(client: TestClient) -> None:
    specs = client.get(f"{BASE}/productSpecification")
    validate("tmf620", "ProductSpecification", specs.json(), array=True)
    assert specs.headers["X-Total-Count"] == "3"
    internet = client.get(f"{BASE}/productSpecification/business-internet").json()
    assert internet["serviceSpecification"] == [{"id": "internet-access", "name": "internet-access"}]
    site, lan = internet["productSpecCharacteristic"][:2]
    assert (lan["name"], lan["valueType"], lan["format"], lan.get("regex")) == ("lan", "string", "ipv4Prefix", None)
    assert (site["name"], site["resourceInventoryCheck"], site["serviceCharacteristic"], site["minCardinality"]) == (
        "site",
        "site",
        "site",
        1,
    )
    offerings = client.get(f"{BASE}/productOffering")
    validate("tmf620", "ProductOffering", offerings.json(), array=True)
    assert [o["id"] for o in offerings.json()] == [
        "bia-100",
        "bia-1000",
        "business-connect",
        "site-interconnect",
        "transit-burst-100",
    ]
    bundle = client.get(f"{BASE}/productOffering/business-connect").json()
    assert (bundle["isBundle"], [b["id"] for b in bundle["bundledProductOffering"]]) == (
        True,
        ["bia-100", "site-interconnect"],
    )
    bia = client.get(f"{BASE}/productOffering/bia-100").json()
    assert bia["prodSpecCharValueUse"][0]["productSpecCharacteristicValue"][0]["value"] == 100
    assert bia["sla"]["target"] == "99.9"
    prices = client.get(f"{BASE}/productOfferingPrice", params={"productOffering.id": "bia-100"})
    validate("tmf620", "ProductOfferingPrice", prices.json(), array=True)
    by_name = {p["name"]: p for p in decimal_json(prices)}
    assert by_name["monthly"]["price"] == {"unit": "EUR", "value": Decimal("79.00")}
    assert (by_name["monthly"]["recurringChargePeriodType"], by_name["monthly"]["lifecycleStatus"]) == (
        "month",
        "active",
    )
    assert by_name["traffic"]["terms"] == {"perUnit": {"unit": "GB", "unitPrice": "0.05", "included": "1000"}}
    assert by_name["launch"]["percentage"] == Decimal(50) and by_name["launch"]["priceType"] == "discount"
    assert (
        client.get(
            f"{BASE}/productOffering", params={"productSpecification.id": "business-internet", "fields": "name"}
        ).headers["X-Total-Count"]
        == "2"
    )


def test_a_price_change_through_the_api_is_a_new_version_from_its_date(
    client: TestClient, bss: Bss, clock: Clock
) -> None:
    start = clock.now + timedelta(days=30)
    body = {
        "productOffering": {"id": "bia-100"},
        "name": "monthly",
        "priceType": "recurring",
        "price": {"unit": "EUR", "value": Decimal("84.90")},
        "validFor": {"startDateTime": start.isoformat()},
    }
    response = client.post(f"{BASE}/productOfferingPrice", **exact_body(body))
    assert response.status_code == 201, response.text
    created = response.json()
    validate("tmf620", "ProductOfferingPrice", created)
    assert (created["id"], created["version"], created["lifecycleStatus"]) == ("bia-100.monthly.EUR.v2", "2", "planned")
    previous = client.get(f"{BASE}/productOfferingPrice/bia-100.monthly.EUR.v1").json()
    assert previous["validFor"]["endDateTime"] == created["validFor"]["startDateTime"]
    clock.now = start
    assert client.get(f"{BASE}/productOfferingPrice/bia-100.monthly.EUR.v1").json()["lifecycleStatus"] == "retired"
    events = [e for e in bss.hub.events("tmf620") if e["eventType"].startswith("ProductOfferingPrice")][-2:]
    assert [e["eventType"] for e in events] == [
        "ProductOfferingPriceAttributeValueChangeEvent",
        "ProductOfferingPriceCreateEvent",
    ]
    for event in events:
        validate("tmf620", event["eventType"], event)
    again = client.post(
        f"{BASE}/productOfferingPrice", **exact_body({**body, "validFor": {"startDateTime": start.isoformat()}})
    )
    assert again.status_code == 409 and "must start after version 2" in again.json()["message"]


def test_a_specification_and_an_offering_are_defined_through_the_api(client: TestClient) -> None:
    spec = {
        "id": "managed-wifi",
        "name": "Managed Wi-Fi",
        "serviceSpecification": [{"id": "wifi", "name": "wifi"}],
        "productSpecCharacteristic": [
            {
                "name": "accessPoints",
                "valueType": "integer",
                "productSpecCharacteristicValue": [{"valueFrom": 1, "valueTo": 50}],
            },
            {"name": "site", "valueType": "string", "resourceInventoryCheck": "site"},
            {"name": "lan", "valueType": "string", "format": "ipv4Prefix"},
        ],
    }
    response = client.post(f"{BASE}/productSpecification", json=spec)
    assert response.status_code == 201, response.text
    validate("tmf620", "ProductSpecification", response.json())
    assert response.json()["productSpecCharacteristic"][2]["format"] == "ipv4Prefix"
    unknown = client.post(
        f"{BASE}/productSpecification",
        json=spec
        | {"id": "wifi-6"}
        | {"productSpecCharacteristic": [{"name": "lan", "valueType": "string", "format": "ipv6Prefix"}]},
    )
    assert (
        unknown.status_code == 400 and unknown.json()["problems"][0]["field"] == "productSpecCharacteristic[0].format"
    )
    offering = {
        "id": "wifi-small",
        "name": "Wi-Fi small",
        "productSpecification": {"id": "managed-wifi"},
        "validFor": {"startDateTime": "2026-02-01T00:00:00Z"},
        "productOfferingPrice": [
            {"name": "monthly", "priceType": "recurring", "price": {"unit": "EUR", "value": "19.90"}},
            {"name": "install", "currency": "EUR", "terms": {"oneTime": "99.00"}},
            {
                "name": "extra",
                "currency": "EUR",
                "terms": {
                    "volume": {
                        "unit": "AP",
                        "tiers": [{"upTo": 5, "unitPrice": "0"}, {"upTo": None, "unitPrice": "4.50"}],
                    }
                },
            },
        ],
    }
    created = client.post(f"{BASE}/productOffering", json=offering)
    assert created.status_code == 201, created.text
    validate("tmf620", "ProductOffering", created.json())
    assert [p["id"] for p in created.json()["productOfferingPrice"]] == [
        "wifi-small.extra.EUR.v1",
        "wifi-small.install.EUR.v1",
        "wifi-small.monthly.EUR.v1",
    ]
    patched = client.patch(f"{BASE}/productOffering/wifi-small", json={"isSellable": False})
    validate("tmf620", "ProductOffering", patched.json())
    assert patched.json()["isSellable"] is False
    assert client.get(f"{BASE}/productOffering", params={"isSellable": "false"}).json()[0]["id"] == "wifi-small"
    assert client.post(f"{BASE}/productOffering", json=offering).status_code == 409


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"productSpecification": {"id": "nope"}}, ["productSpecification.id"]),
        (
            {"prodSpecCharValueUse": [{"name": "bandwidthMbps", "productSpecCharacteristicValue": [{"value": 250}]}]},
            ["prodSpecCharValueUse[bandwidthMbps].value"],
        ),
        (
            {
                "productOfferingPrice": [
                    {"name": "monthly", "priceType": "recurring", "price": {"unit": "EUR", "value": -5}}
                ]
            },
            ["productOfferingPrice[0].price.value"],
        ),
        (
            {
                "productOfferingPrice": [
                    {"name": "traffic", "currency": "EUR", "terms": {"perUnit": {"unitPrice": "1"}}}
                ]
            },
            ["productOfferingPrice[0].terms.perUnit.unit"],
        ),
        (
            {
                "productOfferingPrice": [
                    {
                        "name": "x",
                        "currency": "EUR",
                        "terms": {"graduated": {"unit": "GB", "tiers": [{"upTo": 5, "unitPrice": "1"}]}},
                    }
                ]
            },
            ["productOfferingPrice[0].terms.graduated"],
        ),
        (
            {"bundledProductOffering": [{"id": "business-connect"}], "productSpecification": None},
            ["bundledProductOffering[0].id"],
        ),
        ({"validFor": {"startDateTime": "2026-05-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}}, ["validFor"]),
        ({"isSellable": "maybe"}, ["isSellable"]),
    ],
)
def test_a_bad_offering_names_its_field_and_nothing_is_stored(
    client: TestClient, change: dict[str, Any], fields: list[str]
) -> None:
    offering = {"id": "bad", "name": "Bad", "productSpecification": {"id": "business-internet"}, **change}
    assert problems(client.post(f"{BASE}/productOffering", **exact_body(offering))) == fields
    assert client.get(f"{BASE}/productOffering/bad").status_code == 404
