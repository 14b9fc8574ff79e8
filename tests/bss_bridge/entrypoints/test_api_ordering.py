"""TMF622 orders, TMF637 products and the quote over HTTP: schema-valid, idempotent on externalId,
bad orders refused with every field named and nothing stored, events on the hubs."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bss_bridge.bootstrap import Bss
from bss_bridge.domain import commands

from ..conftest import Clock
from .conftest import decimal_json, validate

ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
CANCEL = "/tmf-api/productOrderingManagement/v4/cancelProductOrder"
PRODUCTS = "/tmf-api/productInventory/v4/product"
QUOTE = "/bss/v1/quote"
D = Decimal


@pytest.fixture
def account(client: TestClient) -> tuple[str, str]:
    customer = client.post("/tmf-api/customerManagement/v4/customer", json={"name": "ACME"}).json()["id"]
    body = {
        "name": "main",
        "relatedParty": [{"id": customer, "role": "customer"}],
        "currency": "EUR",
        "taxRate": 20,
        "timeZone": "Europe/Paris",
    }
    return customer, client.post("/tmf-api/accountManagement/v4/billingAccount", json=body).json()["id"]


def item(
    item_id: str, offering: str, action: str = "add", product: str | None = None, **characteristics: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": item_id, "action": action, "productOffering": {"id": offering}}
    out["product"] = {"productCharacteristic": [{"name": k, "value": v} for k, v in characteristics.items()]}
    if product:
        out["product"]["id"] = product
    return out


def order_body(account: tuple[str, str], *items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "relatedParty": [{"id": account[0], "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": account[1]},
        "productOrderItem": list(items),
        **extra,
    }


def counts(client: TestClient) -> tuple[str, str]:
    return client.get(ORDERS).headers["X-Total-Count"], client.get(PRODUCTS).headers["X-Total-Count"]


def test_a_basket_is_quoted_as_the_order_will_be_priced(client: TestClient, account: tuple[str, str]) -> None:
    basket = {
        "billingAccount": {"id": account[1]},
        "productOrderItem": [
            item("1", "bia-100", site="customer1"),
            item("2", "business-connect", site="customer1", siteA="customer1", siteB="customer2"),
        ],
    }
    response = client.post(QUOTE, json=basket)
    assert response.status_code == 200, response.text
    quote = decimal_json(response)
    assert (quote["oneTimeTotal"]["value"], quote["monthlyTotal"]["value"], quote["monthlyDiscount"]["value"]) == (
        D("800.00"),
        D("458.00"),
        D("-77.40"),  # 50 % of 79 (launch); the bundle's 10 % of 79 and of 300
    )  # 150+150+500; 79+79+300
    for line in [p for i in quote["quoteItem"] for p in i["itemPrice"]]:
        validate("tmf622", "OrderPrice", line)
    assert quote["usage"] == ["traffic: 0.05 EUR per GB beyond 1000 GB included per month"] * 2
    totals = {t["priceType"]: t["price"] for t in quote["quoteTotalPrice"]}
    assert totals["oneTime"]["taxIncludedAmount"]["value"] == D("960.00")
    placed = decimal_json(client.post(ORDERS, json=order_body(account, *basket["productOrderItem"])))
    assert placed["orderTotalPrice"] == quote["quoteTotalPrice"]
    prospect = client.post(
        QUOTE, json={"currency": "EUR", "productOrderItem": [item("1", "bia-1000", site="x")]}
    ).json()
    assert (prospect["taxRate"], prospect["monthlyTotal"]["value"]) == (0, 249.0)
    assert client.post(QUOTE, json={"currency": "USD", "productOrderItem": [item("1", "bia-100", site="x")]}).json()[
        "problems"
    ] == [{"field": "productOrderItem[0].productOffering.id", "message": "offering bia-100 has no price in USD"}]


def test_an_order_is_acknowledged_schema_valid_and_idempotent_on_external_id(
    client: TestClient, bss: Bss, account: tuple[str, str]
) -> None:
    body = order_body(account, item("1", "bia-100", site="customer1"), externalId="crm-7", note=[{"text": "rush"}])
    first = client.post(ORDERS, json=body)
    assert first.status_code == 201, first.text
    order = first.json()
    validate("tmf622", "ProductOrder", order)
    assert (order["state"], order["externalId"], order["productOrderItem"][0]["state"]) == (
        "acknowledged",
        "crm-7",
        "acknowledged",
    )
    assert first.headers["Location"] == order["href"]
    subscription = order["productOrderItem"][0]["product"]["id"]
    again = client.post(ORDERS, json=body)
    assert (again.status_code, again.json()["id"]) == (200, order["id"])
    other = client.post(ORDERS, json={**body, "productOrderItem": [item("1", "bia-1000", site="customer1")]})
    assert other.status_code == 409 and "other content" in other.json()["message"]
    assert counts(client) == ("1", "1")
    product = client.get(f"{PRODUCTS}/{subscription}").json()
    validate("tmf637", "Product", product)
    assert (product["status"], product["productOffering"]["id"]) == ("created", "bia-100")
    assert [p["name"] for p in product["productPrice"]] == ["launch", "monthly", "setup", "traffic"]
    assert client.get(ORDERS, params={"externalId": "crm-7"}).json()[0]["id"] == order["id"]
    for event in bss.hub.events("tmf622") + bss.hub.events("tmf637"):
        validate("tmf622" if "Order" in event["eventType"] else "tmf637", event["eventType"], event)


def test_a_bad_order_names_every_field_and_stores_nothing(
    client: TestClient, bss: Bss, account: tuple[str, str]
) -> None:
    client.patch("/tmf-api/productCatalogManagement/v4/productOffering/bia-1000", json={"isSellable": False})
    body = order_body(
        account,
        item("1", "bia-1000", site="customer1"),
        item("2", "site-interconnect", siteA="customer1", siteB="customer2", bandwidthMbps=5000),
        item("3", "bia-100", site="customer1", colour="red"),
        {"id": "4", "action": "add"},
    )
    response = client.post(ORDERS, json=body)
    assert response.status_code == 400
    validate("tmf622", "Error", response.json())
    assert [p["field"] for p in response.json()["problems"]] == [
        "productOrderItem[0].productOffering.id",
        "productOrderItem[1].product.productCharacteristic[2].value",
        "productOrderItem[2].product.productCharacteristic[1].name",
        "productOrderItem[3].productOffering.id",
    ]
    assert "5000 is above the maximum 1000 Mbit/s" in response.json()["message"]
    unknown = client.post(ORDERS, json=order_body(("nobody", "nothing"), item("1", "bia-100", site="customer1")))
    assert [p["field"] for p in unknown.json()["problems"]] == ["relatedParty", "billingAccount.id"]
    missing_site = client.post(ORDERS, json=order_body(account, item("1", "bia-100", site="atlantis")))
    assert missing_site.json()["problems"] == [
        {
            "field": "productOrderItem[0].product.productCharacteristic[0].value",
            "message": "no site 'atlantis' in the OSS's resource inventory",
        }
    ]
    malformed = client.post(ORDERS, json={"productOrderItem": [{"id": "1"}]})
    assert [p["field"] for p in malformed.json()["problems"]] == [
        "relatedParty",
        "billingAccount",
        "productOrderItem[0].action",
    ]
    assert counts(client) == ("0", "0") and bss.hub.events("tmf622") == []


def test_fulfilment_shows_in_the_order_and_the_product(
    client: TestClient, bss: Bss, clock: Clock, account: tuple[str, str]
) -> None:
    order = client.post(ORDERS, json=order_body(account, item("1", "bia-100", site="customer1"))).json()
    asyncio.run(bss.handle(commands.StartProductOrder(order["id"])))
    asyncio.run(bss.handle(commands.CompleteOrderItem(order["id"], "1")))
    done = client.get(f"{ORDERS}/{order['id']}").json()
    validate("tmf622", "ProductOrder", done)
    assert (done["state"], done["completionDate"]) == ("completed", clock.now.isoformat().replace("+00:00", "Z"))
    product_id = done["productOrderItem"][0]["product"]["id"]
    suspended = client.patch(f"{PRODUCTS}/{product_id}", json={"status": "suspended"})
    validate("tmf637", "Product", suspended.json())
    assert suspended.json()["status"] == "suspended"
    assert client.get(PRODUCTS, params={"status": "suspended"}).headers["X-Total-Count"] == "1"
    assert (
        client.patch(f"{PRODUCTS}/{product_id}", json={"status": "terminated"}).json()["problems"][0]["field"]
        == "status"
    )
    upgrade = client.post(ORDERS, json=order_body(account, item("u", "bia-1000", "modify", product_id)))
    assert upgrade.json()["problems"][0]["message"].endswith("is suspended: only an active one is modified")
    client.patch(f"{PRODUCTS}/{product_id}", json={"status": "active"})
    upgrade = client.post(ORDERS, json=order_body(account, item("u", "bia-1000", "modify", product_id)))
    validate("tmf622", "ProductOrder", upgrade.json())
    assert upgrade.json()["orderTotalPrice"][1]["price"]["dutyFreeAmount"]["value"] == 249.0
    statuses = [
        e["event"]["product"]["status"] for e in bss.hub.events("tmf637") if e["eventType"] == "ProductStateChangeEvent"
    ]
    assert statuses == ["pendingActive", "active", "suspended", "active"]


def test_an_order_is_cancelled_before_it_starts(client: TestClient, bss: Bss, account: tuple[str, str]) -> None:
    order = client.post(ORDERS, json=order_body(account, item("1", "bia-100", site="customer1"))).json()
    response = client.post(CANCEL, json={"productOrder": {"id": order["id"]}, "cancellationReason": "changed plans"})
    assert response.status_code == 201, response.text
    validate("tmf622", "CancelProductOrder", response.json())
    assert response.json()["state"] == "done"
    cancelled = client.get(f"{ORDERS}/{order['id']}").json()
    assert (cancelled["state"], cancelled["cancellationReason"]) == ("cancelled", "changed plans")
    assert client.get(f"{PRODUCTS}/{order['productOrderItem'][0]['product']['id']}").json()["status"] == "cancelled"
    assert client.post(CANCEL, json={"productOrder": {"id": order["id"]}}).status_code == 409
    assert client.post(CANCEL, json={"productOrder": {"id": "nope"}}).status_code == 404
    validate("tmf622", "CancelProductOrder", client.get(CANCEL).json(), array=True)
    assert client.get(CANCEL).headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "1969-12-31T23:59:59Z"])
def test_an_instant_out_of_the_years_stored_is_a_400_naming_it_in_every_api(
    client: TestClient, account: tuple[str, str], when: str
) -> None:
    """An order or an offering dated where its UTC value overflows was a 500 (billing's inputs
    were bounded first; the bound is now every input's)."""
    before = counts(client)
    body = order_body(account, item("1", "bia-100", site="customer1"), requestedStartDate=when)
    ordered = client.post(ORDERS, json=body)
    assert ordered.status_code == 400, ordered.text
    assert [(p["field"], p["message"]) for p in ordered.json()["problems"]] == [
        ("requestedStartDate", "a date-time from 1970 to 9998 in UTC is expected")
    ]
    offering = {"id": "ox", "name": "o", "productSpecification": {"id": "business-internet"}}
    offering["validFor"] = {"startDateTime": when}
    defined = client.post("/tmf-api/productCatalogManagement/v4/productOffering", json=offering)
    assert defined.status_code == 400 and [p["field"] for p in defined.json()["problems"]] == ["validFor.startDateTime"]
    assert counts(client) == before
    assert client.get("/tmf-api/productCatalogManagement/v4/productOffering/ox").status_code == 404


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("10.1.2.3/24", "lan: 10.1.2.3/24 has host bits set: did you mean 10.1.2.0/24?"),
        ("0.0.0.0/0", "lan: 0.0.0.0/0: a customer LAN is a /8 to a /30, not a /0"),
        ("198.18.2.0/31", "lan: 198.18.2.0/31: a customer LAN is a /8 to a /30, not a /31"),
    ],
)
def test_a_lan_the_oss_would_refuse_is_a_400_naming_the_characteristic_and_nothing_is_ordered(
    client: TestClient, bss: Bss, account: tuple[str, str], value: str, why: str
) -> None:
    """A regex let any /0 to /32 through, host bits set: the order was accepted, its charges started,
    and the OSS refused the LAN afterwards."""
    response = client.post(ORDERS, json=order_body(account, item("1", "bia-100", site="customer1", lan=value)))
    assert response.status_code == 400, response.text
    validate("tmf622", "Error", response.json())
    assert response.json()["problems"] == [
        {"field": "productOrderItem[0].product.productCharacteristic[1].value", "message": why}
    ]
    assert counts(client) == ("0", "0") and bss.hub.events("tmf622") == []
    good = client.post(ORDERS, json=order_body(account, item("1", "bia-100", site="customer1", lan="198.18.2.0/24")))
    assert good.status_code == 201, good.text
